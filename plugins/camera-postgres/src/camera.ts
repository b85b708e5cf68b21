import { EvcamError, ErrorCodes, Polaroid, type CameraContext, type ShutterContext, type Snapshot } from '@evcam/camera-api';
import {
  changedTasks, longestRetention, retentionRules, tableNames, TextCleaner, workerToRow, type HistoryCameraStats,
} from '@evcam/history-schema';
import { redactUrl } from '@evcam/options';
import pg from 'pg';
import { toEvcamError } from './errors.js';
import { migrate } from './migrate.js';
import { optionsSchema, redactOptions, type PostgresCameraOptions } from './options.js';
import { statements, type Statements } from './statements.js';
import { tasksJson } from './task-json.js';

export type PostgresCameraStats = HistoryCameraStats;

/**
 * Task history in PostgreSQL: each shutter is one transaction upserting the changed tasks
 * and workers (unnest bulk statements) and a `shutters` row. The schema is
 * @evcam/history-schema's, in `options.schema`.
 */
export class PostgresCamera extends Polaroid<PostgresCameraOptions> {
  static override readonly cameraName = 'postgres';
  static override readonly optionsSchema = optionsSchema;

  readonly stats: PostgresCameraStats = { stored: 0, tasksWritten: 0, workersWritten: 0, replaced: 0, fenced: 0, deleted: 0 };
  private pool: pg.Pool | null = null;
  private readonly sql: Statements;
  private readonly cleaner = new TextCleaner('postgres');
  /** Liveness as last written per hostname: a flip rewrites the worker even without events. */
  private readonly writtenAlive = new Map<string, boolean>();
  /** The highest epoch the database told us about when it refused a shutter. */
  private fencedBy = -Infinity;
  private readonly where: string;

  constructor(ctx: CameraContext<PostgresCameraOptions>) {
    super(ctx);
    this.sql = statements(tableNames('postgres', this.options.schema));
    this.where = this.options.url === undefined ? '(PG* environment)' : redactUrl(this.options.url).replace(/^postgres(ql)?:\/\//, '');
  }

  override async onInstall(): Promise<void> {
    const o = this.options;
    const pool = new pg.Pool({
      connectionString: o.url,
      max: o.poolSize,
      statement_timeout: Math.round(o.statementTimeout * 1000),
      connectionTimeoutMillis: Math.round(o.connectTimeout * 1000),
      ssl: o.ssl as pg.PoolConfig['ssl'],
      application_name: 'evcam',
    });
    // An idle connection dropped by the server must not crash the kernel; the next query reconnects.
    pool.on('error', (err) => this.logger.warn({ err: err.message }, 'PostgreSQL closed an idle connection'));
    try {
      const { from, to, searchIndexed } = await migrate(pool, o.schema);
      this.pool = pool;
      if (!searchIndexed) {
        this.logger.warn({ schema: o.schema }, 'text search in history has no index (pg_trgm could not be installed: it needs CREATE on the database): ' +
          'ask an administrator to run CREATE EXTENSION pg_trgm in this database; the next start creates the indexes');
      }
      this.logger.info({ ...redactOptions(o), schemaVersion: to, migratedFrom: from }, from === to ? 'history schema ready' : 'history schema migrated');
    } catch (err) {
      await pool.end().catch(() => {});
      throw toEvcamError(err, 'the history schema migration', this.where);
    }
  }

  override async onShutter(snapshot: Snapshot, { signal }: ShutterContext): Promise<void> {
    const pool = this.pool;
    if (pool === null) throw new EvcamError(ErrorCodes.DB_UNAVAILABLE, 'the PostgreSQL camera is not installed (onInstall failed or onClose ran)', { retryable: true });
    const epoch = snapshot.epoch;
    if (epoch !== undefined && epoch < this.fencedBy) throw this.fenced(epoch, this.fencedBy);
    signal.throwIfAborted();
    const changed = changedTasks(snapshot, this.writtenAlive);
    const rows = { tasks: changed.tasks, workers: changed.workers.map((w) => workerToRow(w, { seq: 0, takenAt: snapshot.taken_at }, this.cleaner)) };
    const tasks = rows.tasks.length > 0 ? tasksJson(rows.tasks, this.cleaner) : '';
    const replaced = this.cleaner.take();
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw toEvcamError(err, 'a connection for the shutter', this.where);
    }
    let broken = false;
    // A connection lost while checked out is reported on the client (the pool listens only to idle ones).
    const lost = (): void => { broken = true; };
    client.on('error', lost);
    try {
      await client.query('BEGIN');
      if (epoch !== undefined) {
        const allowed = await client.query(this.sql.fence, [String(epoch)]);
        if (allowed.rowCount === 0) {
          const stored = await client.query<{ value: string }>(this.sql.readEpoch);
          await client.query('ROLLBACK');
          this.fencedBy = Number(stored.rows[0]?.value ?? epoch);
          throw this.fenced(epoch, this.fencedBy);
        }
      }
      const removed = snapshot.removed?.tasks.length ?? 0;
      const shutter = await client.query<{ seq: string }>(this.sql.insertShutter, [
        snapshot.taken_at, snapshot.event_count, snapshot.task_count, rows.tasks.length, rows.workers.length, removed,
        epoch ?? null, snapshot.seq, Date.now() / 1000, replaced,
      ]);
      const seq = Number(shutter.rows[0]!.seq);
      // seq and taken_at are scalars ($2, $3): the worker rows' own seq/last_changed are ignored.
      if (rows.tasks.length > 0) await client.query(this.sql.upsertTasks.sql, [tasks, seq, snapshot.taken_at]);
      if (rows.workers.length > 0) await client.query(this.sql.upsertWorkers.sql, [JSON.stringify(rows.workers), seq, snapshot.taken_at]);
      await client.query('COMMIT');
    } catch (err) {
      if (!EvcamError.is(err)) {
        broken = true;
        await client.query('ROLLBACK').catch(() => {});
      }
      throw toEvcamError(err, `shutter ${snapshot.seq} (${rows.tasks.length} tasks)`, this.where);
    } finally {
      // A connection that failed mid-transaction is dropped rather than reused.
      client.off('error', lost);
      client.release(broken);
    }
    for (const w of rows.workers) this.writtenAlive.set(w.hostname, w.alive);
    this.stats.stored++;
    this.stats.tasksWritten += rows.tasks.length;
    this.stats.workersWritten += rows.workers.length;
    if (replaced > 0) {
      this.stats.replaced += replaced;
      this.logger.warn({ replaced, seq: snapshot.seq }, 'text values PostgreSQL cannot hold (NUL, lone surrogates) were stored with U+FFFD');
    }
  }

  override async onCleanup(): Promise<void> {
    const pool = this.pool;
    const retention = this.options.retention;
    if (pool === null || retention === undefined) return;
    const now = Date.now() / 1000;
    const batch = this.options.retentionBatch;
    const named = Object.keys(retention).filter((k) => k !== 'default');
    let deleted = 0;
    try {
      for (const rule of retentionRules(retention, now)) {
        const [sql, first] = rule.states === null ? [this.sql.deleteOthers, named] : [this.sql.deleteState, rule.states[0]];
        // Small autocommitted batches: no long lock, shutters interleave.
        for (;;) {
          const result = await pool.query(sql, [first, rule.before, batch]);
          deleted += result.rowCount ?? 0;
          if ((result.rowCount ?? 0) < batch) break;
        }
      }
      const longest = longestRetention(retention);
      if (longest !== undefined) {
        for (;;) {
          const result = await pool.query(this.sql.deleteShutters, [now - longest, batch]);
          if ((result.rowCount ?? 0) < batch) break;
        }
      }
    } catch (err) {
      throw toEvcamError(err, 'the retention cleanup', this.where);
    } finally {
      this.stats.deleted += deleted;
      if (deleted > 0) this.logger.info({ deleted }, 'retention removed old task rows');
    }
  }

  override async onClose(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.end();
  }

  private fenced(epoch: number, stored: number): EvcamError {
    this.stats.fenced++;
    return new EvcamError(ErrorCodes.HISTORY_FENCED,
      `shutter refused: its HA epoch ${epoch} is lower than epoch ${stored} already stored in the history database; ` +
      'another kernel leads now, so this one must not write.', { retryable: false });
  }
}
