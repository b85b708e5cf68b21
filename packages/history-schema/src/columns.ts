/**
 * The columns of the history tables, in one place: the DDL of both dialects, the row
 * mapping and the cameras' bulk statements are all generated from these lists.
 */

/** How a value is stored: epoch seconds and runtimes are doubles, JSON is jsonb (PG) / TEXT (SQLite). */
export type ColumnKind = 'text' | 'double' | 'integer' | 'json' | 'boolean';

export interface Column {
  readonly name: string;
  readonly kind: ColumnKind;
}

const col = (name: string, kind: ColumnKind): Column => ({ name, kind });

/**
 * `tasks`: one row per task uuid, the snapshot's TaskSnapshot field for field (without
 * the duplicates `root`/`parent`, which equal `root_id`/`parent_id`), plus bookkeeping.
 */
export const TASK_COLUMNS: readonly Column[] = [
  col('uuid', 'text'),
  col('name', 'text'),
  col('state', 'text'),
  col('received', 'double'),
  col('sent', 'double'),
  col('started', 'double'),
  col('rejected', 'double'),
  col('succeeded', 'double'),
  col('failed', 'double'),
  col('retried', 'double'),
  col('revoked', 'double'),
  col('args', 'text'),
  col('kwargs', 'text'),
  col('eta', 'text'),
  col('expires', 'text'),
  col('retries', 'integer'),
  col('worker', 'text'),
  col('result', 'text'),
  col('exception', 'text'),
  col('timestamp', 'double'),
  col('runtime', 'double'),
  col('traceback', 'text'),
  col('exchange', 'text'),
  col('routing_key', 'text'),
  col('clock', 'integer'),
  col('client', 'text'),
  col('root_id', 'text'),
  col('parent_id', 'text'),
  col('children', 'json'),
  /** taken_at of the shutter that first stored the task (never updated). */
  col('first_seen', 'double'),
  /** taken_at of the shutter that last stored the task. */
  col('last_changed', 'double'),
  /** `shutters.seq` of the shutter that last stored the task. */
  col('seq', 'integer'),
];

/** The task columns whose values are free text from the wire (cleaned for the database, see rows.ts). */
export const TASK_TEXT_COLUMNS: readonly string[] = TASK_COLUMNS.filter((c) => c.kind === 'text').map((c) => c.name);

/** `workers`: one row per hostname, Celery's Worker fields plus liveness. */
export const WORKER_COLUMNS: readonly Column[] = [
  col('hostname', 'text'),
  col('pid', 'integer'),
  col('freq', 'double'),
  col('heartbeats', 'json'),
  col('clock', 'integer'),
  col('active', 'integer'),
  col('processed', 'integer'),
  col('loadavg', 'json'),
  col('sw_ident', 'text'),
  col('sw_ver', 'text'),
  col('sw_sys', 'text'),
  /** Celery's liveness rule judged at the storing shutter's taken_at. */
  col('alive', 'boolean'),
  /** The newest heartbeat (heartbeats[-1]), null when there is none. */
  col('last_heartbeat', 'double'),
  col('last_changed', 'double'),
  col('seq', 'integer'),
];

/** `shutters`: one row per stored shutter (the database's own numbering in `seq`). */
export const SHUTTER_COLUMNS: readonly Column[] = [
  col('seq', 'integer'),
  col('taken_at', 'double'),
  col('event_count', 'integer'),
  col('task_count', 'integer'),
  col('tasks_changed', 'integer'),
  col('workers_changed', 'integer'),
  col('tasks_removed', 'integer'),
  /** HA leadership epoch of the kernel that took it; null without HA. */
  col('epoch', 'integer'),
  /** The kernel's own shutter number (restarts at 1 with every kernel run). */
  col('kernel_seq', 'integer'),
  /** Wall-clock time the transaction was written, epoch seconds. */
  col('stored_at', 'double'),
  /** Text values replaced because the database cannot hold them (see README: NUL, lone surrogates). */
  col('replaced', 'integer'),
];

export const TASK_COLUMN_NAMES: readonly string[] = TASK_COLUMNS.map((c) => c.name);
export const WORKER_COLUMN_NAMES: readonly string[] = WORKER_COLUMNS.map((c) => c.name);
