import type { Cancel, Logger, Timer } from '@evcam/camera-api';
import type { Checkpointer as CheckpointerService, State } from '../container/services.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { GuardCut } from './redelivery.js';
import { IncompatibleCheckpoint } from './state-codec.js';
import { CHECKPOINT_FORMAT, moveAside, readCheckpoint, writeCheckpoint } from './store.js';

/** A receiver that acknowledges only what a checkpoint covers (AMQP no-loss mode). */
export interface CheckpointedReceiver {
  /** Fingerprints of folded-but-unacked messages; commit() acks them. Synchronous with the State. */
  checkpointCut(): GuardCut;
  /** Fingerprints restored from a checkpoint: those messages are skipped if redelivered. */
  expectRedelivered(fingerprints: readonly string[]): void;
  /** Set by the checkpointer: called when many messages wait for a checkpoint. */
  onAckBacklog: (() => void) | null;
}

export function isCheckpointedReceiver(receiver: unknown): receiver is CheckpointedReceiver {
  return typeof (receiver as Partial<CheckpointedReceiver>)?.checkpointCut === 'function';
}

export interface CheckpointMetrics {
  writes: number;
  failures: number;
  /** Checkpoints put off because the State was held for a clear_after shutter. */
  deferred: number;
  lastDurationMs: number | null;
  lastBytes: number | null;
  lastWrittenAt: number | null;
  restoredEvents: number | null;
}

export type RestoreOutcome = 'missing' | 'restored' | 'moved-aside';

/** While the State is held, events are buffered, not folded: a checkpoint then would ack messages it lacks. */
const HELD_RETRY_SECS = 0.05;

/**
 * Saves the State (plus the receiver's Lamport clock and the fingerprints of
 * unacknowledged messages) to one file, atomically, and restores it at start.
 * In no-loss mode the receiver's acks wait for the checkpoint that covers them.
 */
/** What a Checkpointer is built from (the checkpoint module injects each). */
export interface CheckpointerDeps {
  /** The checkpoint file, absolute. */
  file: string;
  state: State;
  ingestor: Ingestor;
  /** The receiver, when it acknowledges by checkpoint (AMQP no-loss mode). */
  receiver: CheckpointedReceiver | null;
  timer: Timer;
  logger: Logger;
}

export class Checkpointer implements CheckpointerService {
  readonly metrics: CheckpointMetrics = {
    writes: 0, failures: 0, deferred: 0, lastDurationMs: null, lastBytes: null, lastWrittenAt: null, restoredEvents: null,
  };
  private inFlight: Promise<void> | null = null;
  private again = false;
  private stopTimer: Cancel | null = null;
  private retryHeld: Cancel | null = null;
  private closed = false;

  readonly file: string;
  private readonly state: State;
  private readonly ingestor: Ingestor;
  private readonly receiver: CheckpointedReceiver | null;
  private readonly timer: Timer;
  private readonly logger: Logger;

  constructor(deps: CheckpointerDeps) {
    ({ file: this.file, state: this.state, ingestor: this.ingestor, receiver: this.receiver, timer: this.timer, logger: this.logger } = deps);
    if (this.receiver !== null) this.receiver.onAckBacklog = () => { void this.write(); };
  }

  /** Restore the State from the file, if there is a usable one. Never throws for a bad file. */
  restore(): RestoreOutcome {
    const read = readCheckpoint(this.file);
    if (read.kind === 'missing') {
      this.logger.info({ checkpoint: this.file }, 'no checkpoint yet; starting with an empty State');
      return 'missing';
    }
    if (read.kind === 'ok') {
      try {
        this.state.restore(read.document.state);
        this.ingestor.lamportClock = Math.max(this.ingestor.lamportClock, read.document.lamport);
        this.receiver?.expectRedelivered(read.document.fingerprints.filter((f) => typeof f === 'string'));
        this.metrics.restoredEvents = this.state.eventCount;
        this.logger.info({ checkpoint: this.file, writtenAt: read.document.writtenAt, eventCount: this.state.eventCount,
          tasks: this.state.tasks.size, workers: this.state.workers.size, unacked: read.document.fingerprints.length },
        'restored the State from the checkpoint');
        return 'restored';
      } catch (err) {
        if (!(err instanceof IncompatibleCheckpoint)) throw err;
        return this.setAside(`its State is malformed: ${err.message}`);
      }
    }
    return this.setAside(read.why);
  }

  private setAside(why: string): RestoreOutcome {
    let aside: string;
    try {
      aside = moveAside(this.file);
    } catch (err) {
      // Cannot even rename it: starting empty is still better than not starting; the next write replaces it.
      this.logger.error({ err, checkpoint: this.file, why }, 'checkpoint is unusable and could not be moved aside; starting with an empty State');
      return 'moved-aside';
    }
    this.logger.error({ checkpoint: this.file, movedTo: aside, why },
      'checkpoint is unusable (corrupt or from an incompatible version): moved it aside and starting with an empty State; inspect or delete the moved file');
    return 'moved-aside';
  }

  /** Checkpoint every `interval` seconds. */
  every(interval: number): void {
    this.stopTimer = this.timer.callRepeatedly(interval, () => { void this.write(); });
  }

  /** Write a checkpoint now (or right after the one in flight). Never rejects. */
  write(): Promise<void> {
    if (this.closed) return this.inFlight ?? Promise.resolve();
    if (this.inFlight !== null) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = this.writeLoop().finally(() => { this.inFlight = null; });
    return this.inFlight;
  }

  private async writeLoop(): Promise<void> {
    do {
      this.again = false;
      if (this.ingestor.holding >= 0) {
        this.metrics.deferred++;
        this.retryHeld ??= this.timer.callLater(HELD_RETRY_SECS, () => { this.retryHeld = null; void this.write(); });
        return;
      }
      await this.writeOnce();
    } while (this.again && !this.closed);
  }

  private async writeOnce(): Promise<void> {
    const started = performance.now();
    // Everything up to the await is one synchronous cut: State, clock and unacked messages agree.
    const cut = this.receiver?.checkpointCut() ?? null;
    const writtenAt = Date.now() / 1000;
    const eventCount = this.state.eventCount;
    // JSON.stringify(document) in pieces: the State's own (only changed tasks re-serialised) when it offers them.
    const envelope = JSON.stringify({ format: CHECKPOINT_FORMAT, writtenAt, lamport: this.ingestor.lamportClock, fingerprints: cut?.fingerprints ?? [] });
    const pieces = [`${envelope.slice(0, -1)},"state":`, ...(this.state.saveJson?.() ?? [JSON.stringify(this.state.save())]), '}'];
    let bytes: number;
    try {
      bytes = await writeCheckpoint(this.file, pieces);
    } catch (err) {
      this.metrics.failures++;
      this.logger.error({ err, checkpoint: this.file }, 'writing the checkpoint failed; messages stay unacknowledged until one succeeds');
      return;
    }
    if (process.env.EVCAM_FAILPOINT === 'after-checkpoint-write') process.kill(process.pid, 'SIGKILL'); // crash tests only
    cut?.commit();
    const m = this.metrics;
    m.writes++;
    m.lastDurationMs = performance.now() - started;
    m.lastBytes = bytes;
    m.lastWrittenAt = writtenAt;
    this.logger.trace({ checkpoint: this.file, bytes, eventCount }, 'checkpoint written');
  }

  /** The final checkpoint at shutdown: after the last fold, before the receiver closes. */
  async close(): Promise<void> {
    this.stopTimer?.();
    this.retryHeld?.();
    this.stopTimer = this.retryHeld = null;
    while (this.inFlight !== null) await this.inFlight;
    if (this.ingestor.holding >= 0) {
      this.logger.warn({ checkpoint: this.file }, 'State still held at shutdown; final checkpoint skipped (the previous one stands)');
    } else {
      await this.writeOnce();
    }
    this.closed = true;
  }
}
