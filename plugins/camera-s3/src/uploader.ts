import type { Cancel, Logger, Timer } from '@evcam/camera-api';
import { backoffDelay } from '@evcam/retry';
import type { S3Object } from './s3-object.js';
import type { Spool } from './spool.js';

export type PutObject = (object: S3Object, signal: AbortSignal) => Promise<void>;

export interface UploaderOptions {
  spool: Spool;
  put: PutObject;
  timer: Timer;
  logger: Logger;
  /** Cap of the exponential backoff between drain attempts, seconds. */
  maxBackoff: number;
  /** Told when the spool dropped history objects (a delta chain is broken: send a full one next). */
  onDropped?: (count: number) => void;
}

export interface UploaderStats {
  /** Objects uploaded straight from onShutter. */
  uploaded: number;
  /** History objects that went to the spool. */
  spooled: number;
  /** Objects uploaded from the spool. */
  drained: number;
  /** Failed attempts to upload from the spool. */
  drainFailures: number;
}

/**
 * Sends history objects and latest.json to S3 strictly in order.
 *
 * While S3 answers, submit() uploads directly. The first failure puts the snapshot in
 * the spool and starts a background loop that drains it oldest-first with capped,
 * jittered backoff; until the spool is empty, every new snapshot goes behind the
 * spooled ones, so S3 always receives them in order and onShutter never waits for S3
 * longer than one request timeout.
 */
export class Uploader {
  readonly stats: UploaderStats = { uploaded: 0, spooled: 0, drained: 0, drainFailures: 0 };
  private draining: Promise<void> | null = null;
  private closing = false;
  private stopped = false;
  private readonly stop = new AbortController();
  private wake: (() => void) | null = null;

  constructor(private readonly opts: UploaderOptions) {}

  /** True while the spool holds something (S3 was down and has not taken everything back yet). */
  get backlog(): boolean { return this.draining !== null || !this.opts.spool.isEmpty; }

  /** Upload what a previous run left in the spool (in the background). */
  start(): void {
    if (!this.opts.spool.isEmpty) {
      this.opts.logger.info({ dir: this.opts.spool.dir, objects: this.opts.spool.length, bytes: this.opts.spool.bytes },
        'S3 spool holds snapshots from a previous run; uploading them in order');
      this.kick();
    }
  }

  /**
   * Store one snapshot: its history object, then latest.json. Resolves once both are in S3
   * or safely in the spool; rejects only if the spool itself cannot be written.
   */
  async submit(seq: number, history: S3Object, latest: S3Object | null, signal?: AbortSignal): Promise<void> {
    if (this.stopped) throw new Error('the S3 uploader is closed');
    if (!this.backlog) {
      try {
        await this.opts.put(history, this.signalFor(signal));
        this.stats.uploaded++;
      } catch (err) {
        this.noteOutage(err, history.key);
        await this.spoolHistory(seq, history);
        if (latest !== null) await this.spoolLatest(latest);
        this.kick();
        return;
      }
      if (latest !== null) await this.submitLatest(latest, signal);
      return;
    }
    await this.spoolHistory(seq, history);
    if (latest !== null) await this.spoolLatest(latest);
    this.kick();
  }

  /** Store latest.json alone (behind the spool's history objects while it holds any). */
  async submitLatest(latest: S3Object, signal?: AbortSignal): Promise<void> {
    if (this.stopped) throw new Error('the S3 uploader is closed');
    if (!this.backlog) {
      try {
        await this.opts.put(latest, this.signalFor(signal));
        this.stats.uploaded++;
      } catch (err) {
        this.noteOutage(err, latest.key);
        await this.spoolLatest(latest);
        this.kick();
      }
      return;
    }
    await this.spoolLatest(latest);
    this.kick();
  }

  /** Resolves when the spool is empty and nothing is being uploaded. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Try to drain the spool for at most `deadlineSecs`, then stop; what is left stays on disk for the next start. */
  async close(deadlineSecs: number): Promise<void> {
    this.closing = true;
    this.wake?.();
    if (this.draining) {
      let cancel: Cancel | undefined;
      const deadline = new Promise<void>((resolve) => { cancel = this.opts.timer.callLater(deadlineSecs, resolve); });
      await Promise.race([this.idle(), deadline]);
      cancel?.();
    }
    this.stopped = true;
    this.stop.abort();
    this.wake?.();
    await this.draining;
    const { spool, logger } = this.opts;
    if (!spool.isEmpty) {
      logger.warn({ dir: spool.dir, objects: spool.length, bytes: spool.bytes },
        'S3 camera closed with snapshots still in the spool; they will be uploaded at the next start');
    }
  }

  private signalFor(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([signal, this.stop.signal]) : this.stop.signal;
  }

  private async spoolHistory(seq: number, history: S3Object): Promise<void> {
    const dropped = await this.opts.spool.push(seq, history);
    this.stats.spooled++;
    if (dropped > 0) this.opts.onDropped?.(dropped);
  }

  private async spoolLatest(latest: S3Object): Promise<void> {
    const dropped = await this.opts.spool.setLatest(latest);
    if (dropped > 0) this.opts.onDropped?.(dropped);
  }

  private noteOutage(err: unknown, key: string): void {
    this.opts.logger.warn({ err: describe(err), key, dir: this.opts.spool.dir },
      'S3 upload failed; spooling snapshots locally and retrying in the background (ingestion continues)');
  }

  /** Start the drain loop unless it runs. */
  private kick(): void {
    if (this.draining || this.stopped) return;
    this.draining = this.drainLoop();
  }

  private async drainLoop(): Promise<void> {
    const { spool, logger, put } = this.opts;
    let failures = 0;
    const started = this.stats.drained;
    while (!this.stopped) {
      const job = await spool.next().catch((err: unknown) => {
        logger.error({ err, dir: spool.dir }, 'S3 spool cannot be read; retrying');
        return undefined;
      });
      if (job === null) {
        // Checked and cleared in one synchronous step, so a concurrent submit() either sees
        // the loop running (and its object is picked up here) or starts a new loop.
        if (spool.isEmpty) {
          this.draining = null;
          logger.info({ uploaded: this.stats.drained - started }, 'S3 spool drained: uploads are direct again');
          return;
        }
        continue;
      }
      try {
        if (job === undefined) throw new Error('spool read failed');
        await put(job.object, this.stop.signal);
        await spool.done(job);
        this.stats.drained++;
        failures = 0;
      } catch (err) {
        spool.release();
        if (this.stopped) break;
        failures++;
        this.stats.drainFailures++;
        const secs = this.backoffSecs(failures);
        logger.warn({ err: describe(err), attempt: failures, retryInSecs: Math.round(secs * 10) / 10,
          spooled: spool.length, spoolBytes: spool.bytes }, 'S3 still failing; snapshots stay in the spool');
        await this.sleep(secs);
      }
    }
    this.draining = null;
  }

  /** The shared backoff: ~0.5 s, 1 s, 2 s ... maxBackoff; short while closing. */
  private backoffSecs(attempt: number): number {
    return backoffDelay(attempt, { min: 0.5, max: this.closing ? 0.5 : this.opts.maxBackoff });
  }

  private sleep(secs: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.opts.timer.callLater(secs, () => { this.wake = null; resolve(); });
      this.wake = () => { cancel(); this.wake = null; resolve(); };
    });
  }
}

/** An SDK error as a short loggable object (the SDK's own errors carry the whole response). */
export function describe(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const meta = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return { name: err.name, message: err.message, code: (err as NodeJS.ErrnoException).code, status: meta?.httpStatusCode };
}
