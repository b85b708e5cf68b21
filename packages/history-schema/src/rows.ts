import type { TaskSnapshot, WorkerSnapshot } from '@evcam/camera-api';
import type { TextCleaner } from './text.js';

/** A `tasks` row as the cameras write it (JSON columns as JSON text). */
export interface TaskRow {
  uuid: string;
  name: string | null;
  state: string;
  received: number | null;
  sent: number | null;
  started: number | null;
  rejected: number | null;
  succeeded: number | null;
  failed: number | null;
  retried: number | null;
  revoked: number | null;
  args: string | null;
  kwargs: string | null;
  eta: string | null;
  expires: string | null;
  retries: number | null;
  worker: string | null;
  result: string | null;
  exception: string | null;
  timestamp: number | null;
  runtime: number | null;
  traceback: string | null;
  exchange: string | null;
  routing_key: string | null;
  clock: number;
  client: string | null;
  root_id: string | null;
  parent_id: string | null;
  /** JSON array text of child task ids. */
  children: string;
  first_seen: number;
  last_changed: number;
  seq: number;
}

/** A `workers` row as the cameras write it. */
export interface WorkerRow {
  hostname: string;
  pid: number | null;
  freq: number;
  /** JSON array text. */
  heartbeats: string;
  clock: number;
  active: number | null;
  processed: number | null;
  /** JSON array text, or null. */
  loadavg: string | null;
  sw_ident: string | null;
  sw_ver: string | null;
  sw_sys: string | null;
  alive: boolean;
  last_heartbeat: number | null;
  last_changed: number;
  seq: number;
}

/** When and by which shutter a row is written. */
export interface RowStamp {
  /** `shutters.seq` of the writing shutter. */
  seq: number;
  /** The snapshot's taken_at. */
  takenAt: number;
}

const keep = (value: string | null, cleaner?: TextCleaner): string | null =>
  cleaner === undefined ? value : cleaner.clean(value);

/**
 * The row for one task: the task exactly as the snapshot says (text cleaned as text.ts
 * documents when a cleaner is given). `first_seen` is the stamp's time; the upsert keeps
 * the first one.
 */
export function taskToRow(task: TaskSnapshot, stamp: RowStamp, cleaner?: TextCleaner): TaskRow {
  return {
    uuid: keep(task.uuid, cleaner) as string,
    name: keep(task.name, cleaner),
    state: keep(task.state, cleaner) as string,
    received: task.received,
    sent: task.sent,
    started: task.started,
    rejected: task.rejected,
    succeeded: task.succeeded,
    failed: task.failed,
    retried: task.retried,
    revoked: task.revoked,
    args: keep(task.args, cleaner),
    kwargs: keep(task.kwargs, cleaner),
    eta: keep(task.eta, cleaner),
    expires: keep(task.expires, cleaner),
    retries: task.retries,
    worker: keep(task.worker, cleaner),
    result: keep(task.result, cleaner),
    exception: keep(task.exception, cleaner),
    timestamp: task.timestamp,
    runtime: task.runtime,
    traceback: keep(task.traceback, cleaner),
    exchange: keep(task.exchange, cleaner),
    routing_key: keep(task.routing_key, cleaner),
    clock: task.clock,
    client: keep(task.client, cleaner),
    root_id: keep(task.root_id, cleaner),
    parent_id: keep(task.parent_id, cleaner),
    children: JSON.stringify(cleaner === undefined ? task.children : task.children.map((id) => cleaner.clean(id))),
    first_seen: stamp.takenAt,
    last_changed: stamp.takenAt,
    seq: stamp.seq,
  };
}

/** Celery's liveness judged at the shutter is in `worker.alive`; the row keeps it with the newest heartbeat. */
export function workerToRow(worker: WorkerSnapshot, stamp: RowStamp, cleaner?: TextCleaner): WorkerRow {
  const beats = worker.heartbeats;
  return {
    hostname: keep(worker.hostname, cleaner) as string,
    pid: worker.pid,
    freq: worker.freq,
    heartbeats: JSON.stringify(beats),
    clock: worker.clock,
    active: worker.active,
    processed: worker.processed,
    loadavg: worker.loadavg === null ? null : JSON.stringify(worker.loadavg),
    sw_ident: keep(worker.sw_ident, cleaner),
    sw_ver: keep(worker.sw_ver, cleaner),
    sw_sys: keep(worker.sw_sys, cleaner),
    alive: worker.alive,
    last_heartbeat: beats.length > 0 ? beats[beats.length - 1]! : null,
    last_changed: stamp.takenAt,
    seq: stamp.seq,
  };
}

/** What a driver may hand back for a column: numbers as strings (PG bigint), JSON parsed (jsonb) or text. */
type DbValue = string | number | bigint | boolean | null | unknown[];
export type DbRow = Record<string, DbValue | undefined>;

const num = (v: DbValue | undefined): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: DbValue | undefined): string | null => (v === null || v === undefined ? null : String(v));
const json = <T>(v: DbValue | undefined): T | null =>
  v === null || v === undefined ? null : (typeof v === 'string' ? JSON.parse(v) : v) as T;

/** A `tasks` row (from either dialect's driver) back into the snapshot's TaskSnapshot, field for field. */
export function rowToTask(row: DbRow): TaskSnapshot {
  const rootId = str(row.root_id);
  const parentId = str(row.parent_id);
  return {
    uuid: String(row.uuid),
    name: str(row.name),
    state: String(row.state),
    received: num(row.received),
    sent: num(row.sent),
    started: num(row.started),
    rejected: num(row.rejected),
    succeeded: num(row.succeeded),
    failed: num(row.failed),
    retried: num(row.retried),
    revoked: num(row.revoked),
    args: str(row.args),
    kwargs: str(row.kwargs),
    eta: str(row.eta),
    expires: str(row.expires),
    retries: num(row.retries),
    worker: str(row.worker),
    result: str(row.result),
    exception: str(row.exception),
    timestamp: num(row.timestamp),
    runtime: num(row.runtime),
    traceback: str(row.traceback),
    exchange: str(row.exchange),
    routing_key: str(row.routing_key),
    clock: Number(row.clock),
    client: str(row.client),
    root: rootId,
    root_id: rootId,
    parent: parentId,
    parent_id: parentId,
    children: json<string[]>(row.children) ?? [],
  };
}

/** A `workers` row back into the snapshot's WorkerSnapshot (alive as stored at the last write). */
export function rowToWorker(row: DbRow): WorkerSnapshot {
  return {
    hostname: String(row.hostname),
    pid: num(row.pid),
    freq: Number(row.freq),
    heartbeats: json<number[]>(row.heartbeats) ?? [],
    clock: Number(row.clock),
    active: num(row.active),
    processed: num(row.processed),
    loadavg: json<number[]>(row.loadavg),
    sw_ident: str(row.sw_ident),
    sw_ver: str(row.sw_ver),
    sw_sys: str(row.sw_sys),
    alive: row.alive === true || row.alive === 1 || row.alive === '1' || row.alive === 't',
  };
}
