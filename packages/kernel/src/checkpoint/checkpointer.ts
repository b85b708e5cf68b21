import { randomUUID } from 'node:crypto';
import type { Cancel, Logger, Timer } from '@evcam/camera-api';
import type { Checkpointer as CheckpointerService, State } from '../container/services.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { GuardCut } from './redelivery.js';
import { JournalWriter, journalFile, readJournal } from './journal.js';
import { applyChanges, checkChanges, IncompatibleCheckpoint, type StateMark } from './state-codec.js';
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
  /** Of the writes, those that saved the whole State (the rest appended changes to its journal). */
  fullWrites: number;
  failures: number;
  /** Checkpoints put off because the State was held for a clear_after shutter. */
  deferred: number;
  lastDurationMs: number | null;
  /** Size of the checkpoint on disk after the last write: the whole State plus its journal. */
  lastBytes: number | null;
  lastWrittenAt: number | null;
  restoredEvents: number | null;
}

export type RestoreOutcome = 'missing' | 'restored' | 'moved-aside';

/** While the State is held, events are buffered, not folded: a checkpoint then would ack messages it lacks. */
const HELD_RETRY_SECS = 0.05;
/**
 * The journal may grow to this many times the full checkpoint before the next one is
 * written whole: restore reads at most (1 + this) × the State, and under LRU churn a
 * full write every few checkpoints instead of every one.
 */
const JOURNAL_LIMIT = 2;

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
    writes: 0, fullWrites: 0, failures: 0, deferred: 0, lastDurationMs: null, lastBytes: null, lastWrittenAt: null, restoredEvents: null,
  };
  private inFlight: Promise<void> | null = null;
  private again = false;
  private stopTimer: Cancel | null = null;
  private retryHeld: Cancel | null = null;
  private closed = false;
  /** The journal after the last full checkpoint, the State's mark at the last write, and that full write's length. */
  private journal: JournalWriter | null = null;
  private mark: StateMark | null = null;
  private fullLength = 0;

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
        const doc = read.document;
        let { state: saved, lamport, fingerprints, writtenAt } = doc;
        let journaled = 0;
        if (doc.journal !== undefined) {
          const journal = this.readJournal(doc.journal);
          saved = applyChanges(saved, journal.map((e) => e.state));
          for (const entry of journal) {
            lamport = Math.max(lamport, entry.lamport);
            ({ fingerprints, writtenAt } = entry); // the unacked messages of the newest write
          }
          journaled = journal.length;
        }
        this.state.restore(saved);
        this.ingestor.lamportClock = Math.max(this.ingestor.lamportClock, lamport);
        this.receiver?.expectRedelivered(fingerprints.filter((f) => typeof f === 'string'));
        this.metrics.restoredEvents = this.state.eventCount;
        this.logger.info({ checkpoint: this.file, writtenAt, journalEntries: journaled, eventCount: this.state.eventCount,
          tasks: this.state.tasks.size, workers: this.state.workers.size, unacked: fingerprints.length },
        'restored the State from the checkpoint');
        return 'restored';
      } catch (err) {
        if (!(err instanceof IncompatibleCheckpoint)) throw err;
        return this.setAside(`its State is malformed: ${err.message}`);
      }
    }
    return this.setAside(read.why);
  }

  /** The usable entries of the journal `id`; a torn or bad line ends them (logged). */
  private readJournal(id: string) {
    const checked = (state: Parameters<typeof checkChanges>[0]): string | null => {
      try {
        checkChanges(state);
        return null;
      } catch (err) {
        if (err instanceof IncompatibleCheckpoint) return err.message;
        throw err;
      }
    };
    const read = readJournal(this.file, id, checked);
    const stop = read.stoppedAt;
    if (stop !== null && stop.linesAfter === 0) {
      this.logger.warn({ journal: journalFile(this.file), line: stop.line, why: stop.why },
        'ignored the last line of the checkpoint journal (a crash while appending it; its messages were not acknowledged and come again)');
    } else if (stop !== null) {
      this.logger.error({ journal: journalFile(this.file), line: stop.line, why: stop.why, linesDropped: stop.linesAfter + 1 },
        'the checkpoint journal is damaged (changed by something other than evcam?): restored up to the line before; events of the dropped entries may be missing');
    }
    return read.entries;
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
    // Everything up to the first await is one synchronous cut: State, clock and unacked messages agree.
    const cut = this.receiver?.checkpointCut() ?? null;
    const fields = { writtenAt: Date.now() / 1000, lamport: this.ingestor.lamportClock, fingerprints: cut?.fingerprints ?? [] };
    const eventCount = this.state.eventCount;
    const journal = this.journal;
    const changes = journal !== null && this.mark !== null && journal.length < JOURNAL_LIMIT * this.fullLength
      ? this.state.saveChangesJson?.(this.mark) ?? null : null;
    const mark = this.state.mark?.() ?? null;
    let bytes: number;
    try {
      if (journal !== null && changes !== null) {
        await journal.append([journal.nextEnvelope(fields), ...changes, '}']);
        bytes = this.fullLength + journal.length;
      } else {
        bytes = await this.writeFull(fields, mark !== null && this.state.saveChangesJson !== undefined);
      }
    } catch (err) {
      this.metrics.failures++;
      // Whatever the journal holds now ends with this failed entry at worst; start over with a full write.
      await this.dropJournal();
      this.logger.error({ err, checkpoint: this.file }, 'writing the checkpoint failed; messages stay unacknowledged until one succeeds');
      return;
    }
    this.mark = mark;
    if (process.env.EVCAM_FAILPOINT === 'after-checkpoint-write') process.kill(process.pid, 'SIGKILL'); // crash tests only
    cut?.commit();
    const m = this.metrics;
    m.writes++;
    m.lastDurationMs = performance.now() - started;
    m.lastBytes = bytes;
    m.lastWrittenAt = fields.writtenAt;
    this.logger.trace({ checkpoint: this.file, bytes, eventCount, journalEntries: this.journal?.entries ?? 0 }, 'checkpoint written');
  }

  /** The whole State, atomically; then a fresh journal for the changes after it. Returns the length written. */
  private async writeFull(fields: { writtenAt: number; lamport: number; fingerprints: readonly string[] }, withJournal: boolean): Promise<number> {
    const id = withJournal ? randomUUID() : undefined;
    // JSON.stringify(document) in pieces: the State's own when it offers them.
    const envelope = JSON.stringify({ format: CHECKPOINT_FORMAT, ...fields, journal: id });
    const pieces = [`${envelope.slice(0, -1)},"state":`, ...(this.state.saveJson?.() ?? [JSON.stringify(this.state.save())]), '}'];
    await this.dropJournal();
    const length = await writeCheckpoint(this.file, pieces);
    this.metrics.fullWrites++;
    this.fullLength = length;
    if (id !== undefined) {
      try {
        this.journal = await JournalWriter.create(this.file, id);
      } catch (err) {
        // The full checkpoint stands; the next one is written whole again.
        this.logger.warn({ err, journal: journalFile(this.file) }, 'cannot start the checkpoint journal; checkpoints are written whole until it can');
      }
    }
    return length;
  }

  private async dropJournal(): Promise<void> {
    const journal = this.journal;
    this.journal = null;
    await journal?.close();
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
    await this.dropJournal();
    this.closed = true;
  }
}
