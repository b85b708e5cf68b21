import type { StandardSchemaV1 } from '@standard-schema/spec';
import { EvcamError, ErrorCodes } from './errors.js';
import { parseRate, TokenBucket, type Rate } from './rate.js';
import type { Cancel, Clock, Logger, Timer } from './runtime.js';
import { cleanupSignal, shutterSignal } from './signal.js';
import type { FoldedEvent, Snapshot } from './snapshot.js';
import { API_VERSION } from './version.js';

/** A snapshot together with the State position it was cut at. */
export interface TakenSnapshot {
  snapshot: Snapshot;
  /** Opaque position in the event stream; pass it back as `since` to get `changed`. */
  cut: number;
  /**
   * The snapshot will not be read any more: the State drops what it kept so the
   * snapshot stayed a consistent cut (copy-on-write overlay). Called once.
   */
  release?(): void;
}

/** What the kernel provides to every camera. */
export interface CameraHost {
  readonly timer: Timer;
  readonly clock: Clock;
  /**
   * Cut the State now into a snapshot numbered `seq`. `changed` lists what was
   * touched after `since` (the cut of the last snapshot this camera stored).
   */
  takeSnapshot(since: number, seq: number): TakenSnapshot;
  /**
   * For clear_after: hold incoming events (buffered in arrival order, never lost)
   * until the returned release is called; release(true) first clears the State
   * as Celery's State.clear() does.
   */
  hold(): (clear: boolean) => void;
  /**
   * Messages waiting in these broker queues (AMQP queue depth, Redis list length),
   * null for a queue the broker does not know; absent when the receiver cannot tell.
   */
  queueDepths?(queues: readonly string[]): Promise<Record<string, number | null>>;
}

/** Celery's Polaroid arguments plus evcam's reliability knobs. Seconds throughout. */
export interface PolaroidSettings {
  /** Seconds between shutters (Celery's freq). */
  freq: number;
  /** At most this many shutters: '10/m', '1/s', a number per second, or null. */
  maxrate: Rate | null;
  /** Seconds between cleanups (Celery's cleanup_freq). */
  cleanupFreq: number;
  /** Clear the State after each stored shutter (Celery's clear_after). */
  clearAfter: boolean;
  /** Give up on one onShutter call after this many seconds (0: never). */
  shutterTimeout: number;
  /** Cap of the exponential backoff between failed shutters. */
  maxBackoff: number;
  /** How long cancel() waits for the final shutter to be stored. */
  finalShutterTimeout: number;
}

export const DEFAULT_POLAROID_SETTINGS: Readonly<PolaroidSettings> = Object.freeze({
  freq: 1.0,
  maxrate: null,
  cleanupFreq: 3600.0,
  clearAfter: false,
  shutterTimeout: 30,
  maxBackoff: 30,
  finalShutterTimeout: 10,
});

/** What a camera's constructor receives. */
export interface CameraContext<O = Record<string, unknown>> {
  /** The name the camera was configured by ('file', '@acme/evcam-camera-kafka', ...). */
  name: string;
  /** The camera's options, already validated by its optionsSchema. */
  options: O;
  /** Already bound to { camera: name } by the kernel. */
  logger: Logger;
  host: CameraHost;
  settings?: Partial<PolaroidSettings>;
  /** Directory of the config file; resolve relative paths in options against it. */
  configDir?: string;
}

/** Passed to onShutter: abort fires when the kernel stops waiting (timeout). */
export interface ShutterContext {
  signal: AbortSignal;
  /** 1 for the first try of this snapshot, 2+ for retries. */
  attempt: number;
}

export type CameraStatus = 'created' | 'ok' | 'failing' | 'closed';

/** Per-camera health, reported on /healthz and /metrics. */
export interface CameraHealth {
  status: CameraStatus;
  /** Snapshots taken. */
  shutters: number;
  /** Snapshots stored by onShutter. */
  stored: number;
  /** onShutter calls that threw, rejected or timed out. */
  failures: number;
  timeouts: number;
  consecutiveFailures: number;
  /** Snapshots replaced by a newer one before they were stored (nothing is lost: `changed` spans both). */
  superseded: number;
  /** Shutters skipped by maxrate. */
  rateLimited: number;
  lastError: string | null;
  lastStoredSeq: number | null;
  lastStoredAt: number | null;
  lastDurationMs: number | null;
}

/** A camera class as the kernel sees it. */
export interface CameraClass<O = any> {
  new (ctx: CameraContext<O>): Polaroid<O>;
  readonly apiVersion: number;
  readonly cameraName?: string;
  readonly optionsSchema?: StandardSchemaV1<unknown, O>;
}

/**
 * Celery's Polaroid: takes a snapshot of the cluster State every `freq` seconds
 * and hands it to onShutter(). Subclass it and override onShutter (and, if you
 * need them, onInstall, onCleanup, onClose).
 *
 * Differences from Celery, all deliberate: onShutter may be async and never
 * blocks event ingestion; at most one onShutter runs at a time and a newer
 * snapshot supersedes one still waiting; failures are retried with capped
 * backoff; the State is never cleared for a shutter that was skipped or failed;
 * cancel() always takes a final shutter.
 */
export abstract class Polaroid<O = Record<string, unknown>> {
  /** The camera API this class was built against; checked by the kernel. */
  static readonly apiVersion: number = API_VERSION;
  /** A short name for logs and `evcam-kernel --camera`; defaults to the configured name. */
  static readonly cameraName?: string;
  /** Validates and defaults the camera's options (zod, valibot, ... any Standard Schema). */
  static readonly optionsSchema?: StandardSchemaV1;

  readonly name: string;
  readonly options: O;
  readonly logger: Logger;
  readonly settings: PolaroidSettings;
  readonly health: CameraHealth = {
    status: 'created', shutters: 0, stored: 0, failures: 0, timeouts: 0, consecutiveFailures: 0,
    superseded: 0, rateLimited: 0, lastError: null, lastStoredSeq: null, lastStoredAt: null, lastDurationMs: null,
  };
  protected readonly host: CameraHost;
  protected readonly configDir: string;

  private readonly bucket: TokenBucket | null;
  private seq = 0;
  private storedCut = 0;
  private pending: (TakenSnapshot & { unhold?: (clear: boolean) => void }) | null = null;
  private draining: Promise<void> | null = null;
  private captureTimer: Cancel | null = null;
  private cleanupTimer: Cancel | null = null;
  private cleaning = false;
  private installed = false;
  /** Set by cancel(): retry fast, and give up once the final-shutter deadline passed. */
  private cancelling = false;
  private deadlinePassed = false;
  private wakeFromBackoff: (() => void) | null = null;
  private lastSupersedeLog = -Infinity;

  constructor(ctx: CameraContext<O>) {
    this.name = ctx.name;
    this.options = ctx.options;
    this.logger = ctx.logger;
    this.host = ctx.host;
    this.configDir = ctx.configDir ?? process.cwd();
    const ctor = this.constructor as typeof Polaroid & { clearAfter?: boolean };
    this.settings = { ...DEFAULT_POLAROID_SETTINGS, ...(ctor.clearAfter ? { clearAfter: true } : {}), ...ctx.settings };
    if (!(this.settings.freq > 0)) {
      throw new EvcamError(ErrorCodes.CONFIG_INVALID, `freq must be a positive number of seconds, got ${this.settings.freq}.`);
    }
    const rate = parseRate(this.settings.maxrate);
    this.bucket = rate > 0 ? new TokenBucket(rate, this.host.clock.now()) : null;
  }

  // ---- override points -------------------------------------------------

  /** Open connections, create buckets/indices. Throw EvcamError (retryable or not) to refuse. */
  onInstall(): void | Promise<void> {}

  /** Store one snapshot. May be async; throw or reject to have it retried. */
  abstract onShutter(snapshot: Snapshot, ctx: ShutterContext): void | Promise<void>;

  /**
   * Optional: called synchronously after each event is folded into the State, in
   * stream order (counters that snapshots cannot give). Keep it cheap and
   * allocation-free; never keep or change the event.
   */
  onEvent?(event: FoldedEvent): void;

  /** Every cleanupFreq seconds: expire old history. */
  onCleanup(): void | Promise<void> {}

  /** After the final shutter: flush and close connections. */
  onClose(): void | Promise<void> {}

  // ---- lifecycle (driven by the kernel) --------------------------------

  /** Run onInstall, then schedule capture every freq and cleanup every cleanupFreq (first runs one period later). */
  async install(): Promise<void> {
    if (this.installed) return;
    await this.onInstall();
    const { timer } = this.host;
    this.captureTimer = timer.callRepeatedly(this.settings.freq, () => this.capture());
    this.cleanupTimer = timer.callRepeatedly(this.settings.cleanupFreq, () => { void this.cleanup(); });
    this.installed = true;
    this.health.status = 'ok';
  }

  /** The timer's entry point: one shutter, unless maxrate says not now. */
  capture(): void {
    if (this.bucket && !this.bucket.canConsume(this.host.clock.now())) {
      this.health.rateLimited++;
      return;
    }
    this.shutter();
  }

  /** Take a snapshot now and hand it to onShutter (after the one in flight, if any). */
  shutter(): void {
    if (this.settings.clearAfter) {
      // The State is held until this snapshot is stored; a second one would see the same State.
      if (this.draining) return;
      const unhold = this.host.hold();
      this.pending = { ...this.take(), unhold };
    } else {
      const next = this.take();
      if (this.pending) {
        this.noteSuperseded(this.pending.snapshot.seq, next.snapshot.seq);
        this.pending.release?.();
      }
      this.pending = next;
    }
    this.draining ??= this.drain().finally(() => { this.draining = null; });
  }

  /** Celery's cleanup: send cleanup_signal, then onCleanup(). Never overlaps itself. */
  async cleanup(): Promise<void> {
    if (this.cleaning) return;
    this.cleaning = true;
    try {
      this.logger.debug('Cleanup: Running...');
      cleanupSignal.send({ camera: this.name }, this.logger);
      await this.onCleanup();
    } catch (err) {
      this.logger.error({ err }, 'camera cleanup failed; will run again at the next cleanup_freq');
    } finally {
      this.cleaning = false;
    }
  }

  /** Resolves when no snapshot is waiting or being stored. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /**
   * Stop the timers, take a final shutter so nothing folded is left unstored,
   * wait for it (at most finalShutterTimeout seconds), then onClose().
   */
  async cancel(): Promise<void> {
    if (this.health.status === 'closed') return;
    this.captureTimer?.();
    this.cleanupTimer?.();
    this.captureTimer = this.cleanupTimer = null;
    this.cancelling = true;
    if (this.installed) {
      this.shutter();
      this.wakeFromBackoff?.();
      let timedOut = false;
      let cancelWait: Cancel | undefined;
      await Promise.race([
        this.idle(),
        new Promise<void>((resolve) => {
          cancelWait = this.host.timer.callLater(this.settings.finalShutterTimeout, () => {
            timedOut = this.deadlinePassed = true;
            this.wakeFromBackoff?.();
            resolve();
          });
        }),
      ]);
      cancelWait?.();
      if (timedOut) {
        this.logger.error({ timeoutSecs: this.settings.finalShutterTimeout },
          'final snapshot was not stored before the deadline; raise finalShutterTimeout or check the camera backend');
      }
    }
    try {
      await this.onClose();
    } catch (err) {
      this.logger.error({ err }, 'camera close failed');
    }
    this.health.status = 'closed';
  }

  // ---- internals -------------------------------------------------------

  private take(): TakenSnapshot {
    const taken = this.host.takeSnapshot(this.storedCut, ++this.seq);
    this.health.shutters++;
    this.logger.debug({ seq: taken.snapshot.seq, events: taken.snapshot.event_count,
      tasks: taken.snapshot.task_count }, 'Shutter');
    shutterSignal.send({ camera: this.name, snapshot: taken.snapshot }, this.logger);
    return taken;
  }

  private noteSuperseded(oldSeq: number, newSeq: number): void {
    this.health.superseded++;
    const now = this.host.clock.now();
    if (now - this.lastSupersedeLog >= 10) {
      this.lastSupersedeLog = now;
      this.logger.warn({ supersededSeq: oldSeq, bySeq: newSeq, superseded: this.health.superseded },
        'camera is slower than freq: a waiting snapshot was superseded by a newer one (its changes are included)');
    }
  }

  private async drain(): Promise<void> {
    let attempt = 0;
    while (this.pending) {
      const job = this.pending;
      this.pending = null;
      attempt++;
      if (await this.attempt(job, attempt)) {
        attempt = 0;
        this.storedCut = job.cut;
        job.release?.();
        job.unhold?.(true);
        continue;
      }
      // onShutter ran asynchronously: a newer snapshot may have arrived meanwhile.
      const newer = this.pending as TakenSnapshot | null;
      if (job.unhold) {
        // clear_after: never clear for a failed shutter; let events flow, the next capture includes them.
        job.release?.();
        job.unhold(false);
      } else if (newer) {
        this.noteSuperseded(job.snapshot.seq, newer.snapshot.seq);
        job.release?.();
      } else {
        this.pending = job;
      }
      if (this.deadlinePassed) {
        this.logger.error({ seq: job.snapshot.seq }, 'giving up on the final snapshot: the camera kept failing');
        this.pending?.release?.();
        this.pending = null;
        return;
      }
      if (job.unhold) return;
      await this.backoff(this.cancelling ? Math.min(0.5, this.backoffSecs(attempt)) : this.backoffSecs(attempt));
    }
  }

  /** Capped exponential backoff with full jitter: 0.5 s, 1 s, 2 s, ... up to maxBackoff. */
  private backoffSecs(attempt: number): number {
    const ceiling = Math.min(this.settings.maxBackoff, 0.5 * 2 ** Math.min(attempt - 1, 30));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private backoff(secs: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.host.timer.callLater(secs, () => { this.wakeFromBackoff = null; resolve(); });
      this.wakeFromBackoff = () => { cancel(); this.wakeFromBackoff = null; resolve(); };
    });
  }

  private async attempt(job: TakenSnapshot, attempt: number): Promise<boolean> {
    const abort = new AbortController();
    const timeout = this.settings.shutterTimeout;
    let cancelTimeout: Cancel | undefined;
    const started = performance.now();
    try {
      const stored = Promise.resolve().then(() => this.onShutter(job.snapshot, { signal: abort.signal, attempt }));
      if (timeout > 0) {
        await Promise.race([stored, new Promise<never>((_, reject) => {
          cancelTimeout = this.host.timer.callLater(timeout, () => {
            this.health.timeouts++;
            abort.abort();
            reject(new EvcamError(ErrorCodes.CAMERA_SHUTTER, `onShutter did not finish within ${timeout} s (shutterTimeout)`));
          });
        })]);
      } else {
        await stored;
      }
      const h = this.health;
      h.stored++;
      h.consecutiveFailures = 0;
      h.status = 'ok';
      h.lastStoredSeq = job.snapshot.seq;
      h.lastStoredAt = this.host.clock.now();
      h.lastDurationMs = performance.now() - started;
      return true;
    } catch (err) {
      const h = this.health;
      h.failures++;
      h.consecutiveFailures++;
      h.status = 'failing';
      h.lastError = err instanceof Error ? err.message : String(err);
      h.lastDurationMs = performance.now() - started;
      this.logger.warn({ err, seq: job.snapshot.seq, attempt, consecutiveFailures: h.consecutiveFailures },
        'camera failed to store a snapshot; retrying with backoff');
      return false;
    } finally {
      cancelTimeout?.();
    }
  }
}

/** True if `value` looks like a camera class from any copy of this package. */
export function isCameraClass(value: unknown): value is CameraClass {
  return typeof value === 'function' && typeof (value as { apiVersion?: unknown }).apiVersion === 'number' &&
    typeof (value as { prototype?: { onShutter?: unknown } }).prototype?.onShutter === 'function';
}
