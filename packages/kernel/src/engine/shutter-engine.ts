import {
  EvcamError, ErrorCodes, cleanupSignal, shutterSignal,
  type Cancel, type CameraHealth, type CameraHost, type Logger, type Polaroid, type PolaroidSettings, type TakenSnapshot,
} from '@evcam/camera-api';
import { backoffDelay } from '@evcam/retry';
import { OPEN_GATE, type ShutterGate } from './gate.js';
import { parseRate, TokenBucket } from './rate.js';

export const DEFAULT_POLAROID_SETTINGS: Readonly<PolaroidSettings> = Object.freeze({
  freq: 1.0,
  maxrate: null,
  cleanupFreq: 3600.0,
  clearAfter: false,
  shutterTimeout: 30,
  maxBackoff: 30,
  finalShutterTimeout: 10,
});

export interface ShutterEngineOptions {
  /** HA: shutter only while this is open (default: always). */
  gate?: ShutterGate;
  /** The name the camera was configured by, when it differs from camera.name (shown in logs as `source`). */
  source?: string;
}

/** One snapshot on its way to onShutter, released once nothing uses it any more. */
interface Job {
  taken: TakenSnapshot;
  /** clear_after: lets the held events in; true clears the State first. */
  unhold?: (clear: boolean) => void;
  /** The queue's reference plus one per onShutter call running on it. */
  users: number;
  /** Taken at stop (the final shutter). */
  final: boolean;
}

const newHealth = (): CameraHealth => ({
  status: 'created', shutters: 0, stored: 0, failures: 0, timeouts: 0, consecutiveFailures: 0, superseded: 0,
  rateLimited: 0, cleanupFailures: 0, eventErrors: 0, lastError: null, lastStoredSeq: null, lastStoredAt: null, lastDurationMs: null,
});

/**
 * Drives one camera as Celery's Polaroid timer does, with evcam's reliability rules:
 * a shutter every freq (maxrate permitting), cleanup every cleanupFreq, at most one
 * onShutter at a time (an abandoned one included), superseding, timeouts with abort,
 * retries with jittered backoff, clear_after holds, and a final shutter at cancel().
 * It never blocks ingestion: snapshots are cut synchronously, stored asynchronously.
 * The lifecycle it guarantees is in docs/writing-a-camera.md ("Lifecycle").
 */
export class ShutterEngine {
  readonly name: string;
  readonly source: string;
  readonly settings: PolaroidSettings;
  readonly health: CameraHealth = newHealth();
  private readonly logger: Logger;
  private readonly gate: ShutterGate;
  private readonly bucket: TokenBucket | null;
  private seq = 0;
  private storedCut = 0;
  private pending: Job | null = null;
  private draining: Promise<void> | null = null;
  /** Settles when an onShutter abandoned after shutterTimeout settles; no new call before. */
  private abandoned: Promise<void> | null = null;
  private abandonedSeq = 0;
  private captureTimer: Cancel | null = null;
  private cleanupTimer: Cancel | null = null;
  private cleaning = false;
  private installing: Promise<void> | null = null;
  private installed = false;
  private closing: Promise<void> | null = null;
  /** Set by cancel(): retry fast, and give up once the final-shutter deadline passed. */
  private cancelling = false;
  private deadlinePassed = false;
  private wakeFromBackoff: (() => void) | null = null;
  private lastSupersedeLog = -Infinity;
  private lastEventErrorLog = -Infinity;

  constructor(
    readonly camera: Polaroid<any>,
    private readonly host: CameraHost,
    settings: Partial<PolaroidSettings> = {},
    options: ShutterEngineOptions = {},
  ) {
    this.name = camera.name;
    this.source = options.source ?? camera.name;
    this.logger = camera.logger;
    this.gate = options.gate ?? OPEN_GATE;
    const ctor = camera.constructor as { clearAfter?: boolean };
    this.settings = { ...DEFAULT_POLAROID_SETTINGS, ...(ctor.clearAfter ? { clearAfter: true } : {}), ...settings };
    if (!(this.settings.freq > 0)) {
      throw new EvcamError(ErrorCodes.CONFIG_INVALID, `freq must be a positive number of seconds, got ${this.settings.freq}.`);
    }
    const rate = parseRate(this.settings.maxrate);
    this.bucket = rate > 0 ? new TokenBucket(rate, host.clock.now()) : null;
  }

  /**
   * Run onInstall, then schedule capture every freq and cleanup every cleanupFreq
   * (first runs one period later). A failed install may be retried by calling this
   * again: onInstall runs again on the same camera instance.
   */
  async install(): Promise<void> {
    if (this.installed || this.closing) return;
    this.installing ??= Promise.resolve().then(() => this.camera.onInstall());
    try {
      await this.installing;
    } catch (err) {
      this.health.lastError = messageOf(err);
      throw err;
    } finally {
      this.installing = null;
    }
    if (this.closing) return; // stopped while onInstall ran: cancel() closes it
    const { timer } = this.host;
    this.captureTimer = timer.callRepeatedly(this.settings.freq, () => this.capture());
    this.cleanupTimer = timer.callRepeatedly(this.settings.cleanupFreq, () => { void this.cleanup(); });
    this.installed = true;
    this.health.status = 'ok';
    this.health.lastError = null;
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
    if (!this.gate.isOpen()) return;
    if (this.settings.clearAfter) {
      // The State is held until this snapshot is stored; a second one would see the same State.
      if (this.draining) return;
      const unhold = this.host.hold();
      this.pending = { ...this.take(), unhold };
    } else {
      const next = this.take();
      if (this.pending) {
        this.noteSuperseded(this.pending.taken.snapshot.seq, next.taken.snapshot.seq);
        this.drop(this.pending);
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
      await this.camera.onCleanup();
    } catch (err) {
      this.health.cleanupFailures++;
      this.logger.error({ err, code: EvcamError.is(err) ? err.code : ErrorCodes.CAMERA_CLEANUP },
        'camera cleanup failed; will run again at the next cleanup_freq');
    } finally {
      this.cleaning = false;
    }
  }

  /** The ingestor's hook for cameras with onEvent: a throw is counted and logged (rate-limited), never rethrown. */
  eventFailed(err: unknown): void {
    this.health.eventErrors++;
    const now = this.host.clock.now();
    if (now - this.lastEventErrorLog >= 10) {
      this.lastEventErrorLog = now;
      this.logger.error({ err, eventErrors: this.health.eventErrors }, 'camera onEvent threw; ingestion carries on (fix the camera)');
    }
  }

  /** Resolves when no snapshot is waiting or being stored (an abandoned call still hanging counts as busy). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /**
   * Stop the timers, take a final shutter so nothing folded is left unstored, wait
   * for it (at most finalShutterTimeout seconds), then onClose(), exactly once, also
   * when onInstall failed.
   */
  cancel(): Promise<void> {
    this.closing ??= this.close();
    return this.closing;
  }

  // ---- internals -------------------------------------------------------

  private async close(): Promise<void> {
    this.captureTimer?.();
    this.cleanupTimer?.();
    this.captureTimer = this.cleanupTimer = null;
    this.cancelling = true;
    await this.installing?.catch(() => {});
    if (this.installed) await this.finalShutter();
    try {
      await this.camera.onClose();
    } catch (err) {
      this.logger.error({ err }, 'camera close failed');
    }
    this.health.status = 'closed';
  }

  private async finalShutter(): Promise<void> {
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
      this.logger.error({ timeoutSecs: this.settings.finalShutterTimeout, status: this.health.status },
        'final snapshot was not stored before the deadline; raise finalShutterTimeout or check the camera backend');
    }
  }

  private take(): Job {
    const taken = this.host.takeSnapshot(this.storedCut, ++this.seq);
    const { snapshot } = taken;
    const epoch = this.gate.epoch;
    if (epoch !== undefined) snapshot.epoch = epoch;
    this.health.shutters++;
    this.logger.debug({ seq: snapshot.seq, events: snapshot.event_count, tasks: snapshot.task_count }, 'Shutter');
    shutterSignal.send({ camera: this.name, snapshot }, this.logger);
    return { taken, users: 1, final: this.cancelling };
  }

  /** One user of the job is done with it; the last one releases the snapshot. */
  private drop(job: Job): void {
    if (--job.users === 0) job.taken.release?.();
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
      // At most one onShutter per camera, an abandoned one included.
      if (this.abandoned) await this.waitForAbandoned(this.abandoned);
      if (this.deadlinePassed) return this.giveUp();
      const job = this.pending;
      if (job === null) return;
      this.pending = null;
      if (!this.gate.isOpen()) {
        // Not leading: store nothing; `changed` keeps accumulating from the last stored cut.
        job.unhold?.(false);
        this.drop(job);
        continue;
      }
      attempt++;
      if (await this.attempt(job, attempt)) {
        attempt = 0;
        this.storedCut = job.taken.cut;
        job.unhold?.(true);
        this.drop(job);
        continue;
      }
      // onShutter ran asynchronously: a newer snapshot may have arrived meanwhile.
      const newer = this.pending as Job | null;
      if (job.unhold) {
        // clear_after: never clear for a failed shutter; let events flow, the next capture includes them.
        job.unhold(false);
        this.drop(job);
      } else if (newer) {
        this.noteSuperseded(job.taken.snapshot.seq, newer.taken.snapshot.seq);
        this.drop(job);
      } else {
        this.pending = job;
      }
      if (this.deadlinePassed) return this.giveUp();
      if (job.unhold) return;
      const delay = backoffDelay(attempt, { min: 0.5, max: this.settings.maxBackoff });
      await this.backoff(this.cancelling ? Math.min(0.5, delay) : delay);
    }
  }

  private giveUp(): void {
    const job = this.pending;
    this.pending = null;
    if (job === null) return;
    this.logger.error({ seq: job.taken.snapshot.seq }, 'giving up on the final snapshot: the camera kept failing');
    job.unhold?.(false);
    this.drop(job);
  }

  private backoff(secs: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.host.timer.callLater(secs, () => { this.wakeFromBackoff = null; resolve(); });
      this.wakeFromBackoff = () => { cancel(); this.wakeFromBackoff = null; resolve(); };
    });
  }

  private async attempt(job: Job, attempt: number): Promise<boolean> {
    const abort = new AbortController();
    const timeout = this.settings.shutterTimeout;
    const { snapshot } = job.taken;
    let cancelTimeout: Cancel | undefined;
    let timedOut = false;
    const started = performance.now();
    job.users++;
    const call = Promise.resolve().then(() => this.camera.onShutter(snapshot, { signal: abort.signal, attempt, final: job.final }));
    const settled = call.then(() => {}, () => {}).then(() => this.drop(job));
    try {
      if (timeout > 0) {
        await Promise.race([call, new Promise<never>((_, reject) => {
          cancelTimeout = this.host.timer.callLater(timeout, () => {
            timedOut = true;
            this.health.timeouts++;
            abort.abort();
            reject(new EvcamError(ErrorCodes.CAMERA_SHUTTER, `onShutter did not finish within ${timeout} s (shutterTimeout)`));
          });
        })]);
      } else {
        await call;
      }
      const h = this.health;
      h.stored++;
      h.consecutiveFailures = 0;
      h.status = 'ok';
      h.lastStoredSeq = snapshot.seq;
      h.lastStoredAt = this.host.clock.now();
      h.lastDurationMs = performance.now() - started;
      return true;
    } catch (err) {
      const h = this.health;
      h.failures++;
      h.consecutiveFailures++;
      h.status = 'failing';
      h.lastError = messageOf(err);
      h.lastDurationMs = performance.now() - started;
      this.logger.warn({ err, seq: snapshot.seq, attempt, consecutiveFailures: h.consecutiveFailures },
        'camera failed to store a snapshot; retrying with backoff');
      if (timedOut) this.watchAbandoned(settled, snapshot.seq);
      return false;
    } finally {
      cancelTimeout?.();
    }
  }

  /** A timed-out call that has not settled yet: the camera is hung until it does. */
  private watchAbandoned(settled: Promise<void>, seq: number): void {
    this.health.status = 'hung';
    this.abandonedSeq = seq;
    this.abandoned = settled.then(() => {
      this.abandoned = null;
      if (this.health.status === 'hung') this.health.status = 'failing';
    });
  }

  /** Wait for an abandoned call; say so once if it was not just a slow abort. */
  private async waitForAbandoned(abandoned: Promise<void>): Promise<void> {
    this.logger.error({ seq: this.abandonedSeq, shutterTimeout: this.settings.shutterTimeout },
      'camera is hung: onShutter ignored its AbortSignal; it gets no new shutter until that call settles (other cameras and ingestion carry on)');
    await abandoned;
    this.logger.warn({ seq: this.abandonedSeq }, 'the abandoned onShutter settled; shutters resume');
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
