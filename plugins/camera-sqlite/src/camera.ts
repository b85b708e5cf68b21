import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EvcamError, ErrorCodes, Polaroid, type ShutterContext, type Snapshot } from '@evcam/camera-api';
import { changedTasks, longestRetention, retentionRules, type HistoryCameraStats } from '@evcam/history-schema';
import { toEvcamError } from './errors.js';
import { optionsSchema, type SqliteCameraOptions } from './options.js';
import type { CleanupResult, OpenResult, ShutterResult, ThreadError } from './protocol.js';
import { ThreadClient } from './thread-client.js';

export type SqliteCameraStats = HistoryCameraStats;

/**
 * Task history in one SQLite file, nothing to install: each shutter is one IMMEDIATE
 * transaction (prepared upserts of the changed tasks and workers, a `shutters` row), run on
 * a thread of its own so a busy database never stalls event ingestion.
 */
export class SqliteCamera extends Polaroid<SqliteCameraOptions> {
  static override readonly cameraName = 'sqlite';
  static override readonly optionsSchema = optionsSchema;

  readonly stats: SqliteCameraStats = { stored: 0, tasksWritten: 0, workersWritten: 0, replaced: 0, fenced: 0, deleted: 0 };
  private thread: ThreadClient | null = null;
  private readonly writtenAlive = new Map<string, boolean>();
  private fencedBy = -Infinity;
  private closed = false;

  /** The database file, resolved against the config file's directory. */
  get file(): string {
    return resolve(this.configDir, this.options.file);
  }

  override async onInstall(): Promise<void> {
    if (!existsSync(dirname(this.file))) {
      throw new EvcamError(ErrorCodes.DB_MISSING,
        `the directory of the SQLite file ${this.file} does not exist: create it, or set the camera option file elsewhere.`, { retryable: false });
    }
    const { from, to, journalMode } = await this.open();
    this.logger.info({ file: this.file, journalMode, busyTimeout: this.options.busyTimeout, retention: this.options.retention, schemaVersion: to, migratedFrom: from },
      from === to ? 'history database ready' : 'history database migrated');
  }

  override async onShutter(snapshot: Snapshot, { signal }: ShutterContext): Promise<void> {
    const epoch = snapshot.epoch;
    if (epoch !== undefined && epoch < this.fencedBy) throw this.fenced(epoch, this.fencedBy);
    signal.throwIfAborted();
    const thread = await this.ready();
    // The event loop only picks what changed and serialises it; mapping and writing run on the thread.
    const { tasks, workers } = changedTasks(snapshot, this.writtenAlive);
    let replaced: number;
    try {
      ({ replaced } = await thread.call<ShutterResult>({
        op: 'shutter', epoch: epoch ?? null, tasks: JSON.stringify(tasks), workers: JSON.stringify(workers),
        shutter: [snapshot.taken_at, snapshot.event_count, snapshot.task_count, tasks.length, workers.length,
          snapshot.removed?.tasks.length ?? 0, snapshot.seq, Date.now() / 1000],
      }));
    } catch (err) {
      const error = err as ThreadError;
      if (error.code === ErrorCodes.HISTORY_FENCED) {
        this.fencedBy = error.stored ?? this.fencedBy;
        this.stats.fenced++;
      }
      throw toEvcamError(error, `shutter ${snapshot.seq} (${tasks.length} tasks)`, this.file);
    }
    for (const w of workers) this.writtenAlive.set(w.hostname, w.alive);
    this.stats.stored++;
    this.stats.tasksWritten += tasks.length;
    this.stats.workersWritten += workers.length;
    if (replaced > 0) {
      this.stats.replaced += replaced;
      this.logger.warn({ replaced, seq: snapshot.seq }, 'text values SQLite cannot hold (lone UTF-16 surrogates) were stored with U+FFFD');
    }
  }

  override async onCleanup(): Promise<void> {
    const retention = this.options.retention;
    if (retention === undefined) return;
    const thread = await this.ready();
    const now = Date.now() / 1000;
    const longest = longestRetention(retention);
    try {
      const { deleted } = await thread.call<CleanupResult>({
        op: 'cleanup', rules: retentionRules(retention, now), named: Object.keys(retention).filter((k) => k !== 'default'),
        shuttersBefore: longest === undefined ? null : now - longest, batch: this.options.retentionBatch,
      });
      this.stats.deleted += deleted;
      if (deleted > 0) this.logger.info({ deleted }, 'retention removed old task rows');
    } catch (err) {
      throw toEvcamError(err as ThreadError, 'the retention cleanup', this.file);
    }
  }

  override async onClose(): Promise<void> {
    this.closed = true;
    const thread = this.thread;
    this.thread = null;
    await thread?.close();
  }

  private async open(): Promise<OpenResult> {
    const thread = new ThreadClient();
    try {
      const result = await thread.call<OpenResult>({
        op: 'open', file: this.file, wal: this.options.wal, busyTimeoutMs: Math.round(this.options.busyTimeout * 1000),
      });
      this.thread = thread;
      return result;
    } catch (err) {
      await thread.close();
      throw toEvcamError(err as ThreadError, 'opening the history database', this.file);
    }
  }

  /** The thread, reopened if it died (a crash is retried like an outage). */
  private async ready(): Promise<ThreadClient> {
    if (this.closed) throw new EvcamError(ErrorCodes.DB_UNAVAILABLE, 'the SQLite camera is closed', { retryable: true });
    if (this.thread === null || !this.thread.alive) await this.open();
    return this.thread!;
  }

  private fenced(epoch: number, stored: number): EvcamError {
    this.stats.fenced++;
    return toEvcamError({ code: ErrorCodes.HISTORY_FENCED, message: `epoch ${epoch}`, stored }, 'the shutter', this.file);
  }
}
