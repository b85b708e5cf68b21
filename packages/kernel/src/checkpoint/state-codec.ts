import { TaskRecord, WorkerRecord } from '../state/records.js';
import type { CeleryState } from '../state/state.js';

/** The exported fields of Celery's Task, copied as they are (worker and children are relations). */
const TASK_FIELDS = [
  'name', 'state', 'received', 'sent', 'started', 'rejected', 'succeeded', 'failed', 'retried', 'revoked',
  'args', 'kwargs', 'eta', 'expires', 'retries', 'result', 'exception', 'timestamp', 'runtime', 'traceback',
  'exchange', 'routing_key', 'clock', 'client', 'root_id', 'parent_id',
] as const;

/** The exported fields of Celery's Worker (heartbeats are copied separately). */
const WORKER_FIELDS = ['pid', 'freq', 'clock', 'active', 'processed', 'loadavg', 'sw_ident', 'sw_ver', 'sw_sys'] as const;

export interface SavedTask {
  uuid: string;
  fields: Record<string, unknown>;
  /** Hostname of the task's worker (which may have left the workers LRU). */
  worker: string | null;
  /** Ids of the children a snapshot lists (children still in State). */
  children: string[];
  touched: number;
}

export interface SavedWorker {
  hostname: string;
  fields: Record<string, unknown>;
  heartbeats: number[];
  touched: number;
}

export interface SavedState {
  eventCount: number;
  taskCount: number;
  position: number;
  /** In LRU order, oldest first. */
  tasks: SavedTask[];
  workers: SavedWorker[];
  /** Celery's _tasks_to_resolve: [parent id, ids of children waiting for it], oldest first. */
  orphans: [string, string[]][];
}

/**
 * What changed in the State since a checkpoint (a journal entry, checkpoint/journal.ts):
 * applied to that checkpoint's SavedState it gives the SavedState of now.
 */
export interface SavedChanges {
  eventCount: number;
  taskCount: number;
  position: number;
  /**
   * Tasks changed or moved in the LRU since, in LRU order: the first ones changed in
   * place, the last `moved` were inserted or bumped since and go to the tail in this order.
   */
  tasks: SavedTask[];
  moved: number;
  /** Ids of tasks that left the State since (and are not back). */
  removed: string[];
  /** All workers (a few; written whole each time). */
  workers: SavedWorker[];
  /** The whole orphan index, present only when it changed. */
  orphans?: [string, string[]][];
}

/** A point in the State's history that changes are asked from: its version and LRU clock. */
export interface StateMark {
  version: number;
  lru: number;
}

/** The State as plain JSON values, built only from its public fields. */
export function saveState(state: CeleryState): SavedState {
  const tasks: SavedTask[] = [];
  for (const task of state.tasks.values()) tasks.push(saveTask(state, task));
  return { eventCount: state.eventCount, taskCount: state.taskCount, position: state.position, tasks, workers: saveWorkers(state), orphans: saveOrphans(state) };
}

/**
 * JSON.stringify(saveState(state)), as pieces to concatenate (or write one after another):
 * one per task, never the document as one string. The pieces are taken synchronously, so
 * they are one consistent cut however long the write takes. (Entries are not cached on the
 * records: the journal writes only changed tasks, and a cache would hold another copy of
 * the State in memory for the rare full write.)
 */
export function savedStateJson(state: CeleryState): string[] {
  const pieces: string[] = [
    `{"eventCount":${JSON.stringify(state.eventCount)},"taskCount":${JSON.stringify(state.taskCount)},"position":${JSON.stringify(state.position)},"tasks":[`,
  ];
  let first = true;
  for (const task of state.tasks.values()) {
    if (!first) pieces.push(',');
    first = false;
    pieces.push(JSON.stringify(saveTask(state, task)));
  }
  pieces.push(`],"workers":${JSON.stringify(saveWorkers(state))},"orphans":${JSON.stringify(saveOrphans(state))}}`);
  return pieces;
}

/**
 * JSON.stringify of the SavedChanges of `changed` (LRU order, the last `moved` of them new
 * or bumped in the LRU) and `removed`, in pieces.
 */
export function savedChangesJson(state: CeleryState, changed: readonly TaskRecord[], moved: number, removed: readonly string[], withOrphans: boolean): string[] {
  const pieces: string[] = [
    `{"eventCount":${JSON.stringify(state.eventCount)},"taskCount":${JSON.stringify(state.taskCount)},"position":${JSON.stringify(state.position)},"tasks":[`,
  ];
  for (let i = 0; i < changed.length; i++) {
    if (i > 0) pieces.push(',');
    const task = changed[i];
    pieces.push(JSON.stringify(saveTask(state, task)));
  }
  pieces.push(`],"moved":${moved},"removed":${JSON.stringify(removed)},"workers":${JSON.stringify(saveWorkers(state))}${withOrphans ? `,"orphans":${JSON.stringify(saveOrphans(state))}` : ''}}`);
  return pieces;
}

/**
 * A checkpoint's SavedState with its journal entries applied in order: removed tasks
 * go, changed ones move to the LRU tail. Checks every entry's shape first.
 */
export function applyChanges(base: SavedState, entries: readonly SavedChanges[]): SavedState {
  checkShape(base);
  for (const entry of entries) checkChanges(entry);
  if (entries.length === 0) return base;
  const tasks = new Map<string, SavedTask>();
  for (const t of base.tasks) tasks.set(t.uuid, t);
  let orphans = base.orphans;
  for (const entry of entries) {
    for (const id of entry.removed) tasks.delete(id);
    const inPlace = entry.tasks.length - entry.moved;
    for (let i = 0; i < entry.tasks.length; i++) {
      const t = entry.tasks[i];
      if (i >= inPlace) tasks.delete(t.uuid); // to the tail
      else check(tasks.has(t.uuid), 'a journal entry changes a task the checkpoint does not hold');
      tasks.set(t.uuid, t);
    }
    if (entry.orphans !== undefined) orphans = entry.orphans;
  }
  const last = entries[entries.length - 1];
  return { eventCount: last.eventCount, taskCount: last.taskCount, position: last.position, tasks: [...tasks.values()], workers: last.workers, orphans };
}

/** Throws IncompatibleCheckpoint unless `entry` has the shape savedChangesJson writes. */
export function checkChanges(entry: SavedChanges): void {
  check(isObject(entry) && Array.isArray(entry.removed) && entry.removed.every((id: unknown) => typeof id === 'string'), 'a journal entry\'s removed is malformed');
  checkShape(entry);
  check(Number.isSafeInteger(entry.moved) && entry.moved >= 0 && entry.moved <= entry.tasks.length, 'a journal entry\'s moved is malformed');
}

function saveTask(state: CeleryState, task: TaskRecord): SavedTask {
  const fields: Record<string, unknown> = {};
  for (const key of TASK_FIELDS) fields[key] = task[key];
  const children: string[] = [];
  if (task.children !== null) for (const child of task.children) if (inState(state, child)) children.push(uuidOf(child));
  return { uuid: task.uuid, fields, worker: task.worker?.hostname ?? null, children, touched: task.touched };
}

function saveWorkers(state: CeleryState): SavedWorker[] {
  const workers: SavedWorker[] = [];
  for (const worker of state.workers.values()) {
    const fields: Record<string, unknown> = {};
    for (const key of WORKER_FIELDS) fields[key] = worker[key];
    workers.push({ hostname: worker.hostname, fields, heartbeats: worker.heartbeats.slice(), touched: worker.touched });
  }
  return workers;
}

function saveOrphans(state: CeleryState): [string, string[]][] {
  const orphans: [string, string[]][] = [];
  const index = orphanIndex(state);
  if (index !== null) {
    for (const [parentId, waiting] of index) orphans.push([parentId, [...waiting].filter((c) => inState(state, c)).map(uuidOf)]);
  }
  return orphans;
}

/**
 * CeleryState keeps _tasks_to_resolve private; a checkpoint must carry it or a
 * parent arriving after a restart would not adopt its earlier children. Read by
 * shape so a State without one (a custom component) still checkpoints.
 */
function orphanIndex(state: CeleryState): Map<string, Set<TaskRecord | string>> | null {
  const index = (state as unknown as { orphans?: unknown }).orphans;
  return index instanceof Map ? index as Map<string, Set<TaskRecord | string>> : null;
}

/** Children and orphans are held as records; an id is accepted too, so the file format does not depend on it. */
const uuidOf = (child: TaskRecord | string): string => (typeof child === 'string' ? child : child.uuid);
const inState = (state: CeleryState, child: TaskRecord | string): boolean =>
  typeof child === 'string' || state.tasks.get(child.uuid) === child;

function records(state: CeleryState, uuids: readonly string[]): Set<TaskRecord> {
  const out = new Set<TaskRecord>();
  for (const uuid of uuids) {
    const task = state.tasks.get(uuid);
    if (task !== undefined) out.add(task);
  }
  return out;
}

/** Thrown for a checkpoint whose shape is not what saveState writes. */
export class IncompatibleCheckpoint extends Error {}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new IncompatibleCheckpoint(what);
}

/**
 * Rebuild an empty State from a saved one: records, worker relations, children,
 * orphans waiting for their parent, LRU order, counters, stream position and
 * `touched` marks (so `changed` stays right).
 */
export function restoreState(state: CeleryState, saved: SavedState, limits: { maxTasksInMemory: number; maxWorkersInMemory: number }): void {
  validate(state, saved);
  // Keep the newest entries if the limits shrank since the checkpoint was written.
  const workers = limits.maxWorkersInMemory ? saved.workers.slice(-limits.maxWorkersInMemory) : saved.workers;
  const tasks = limits.maxTasksInMemory ? saved.tasks.slice(-limits.maxTasksInMemory) : saved.tasks;
  for (const w of workers) {
    const worker = new WorkerRecord(w.hostname);
    for (const key of WORKER_FIELDS) if (key in w.fields) (worker as unknown as Record<string, unknown>)[key] = w.fields[key];
    worker.heartbeats = w.heartbeats.slice();
    worker.touched = w.touched;
    state.workers.set(worker.hostname, worker);
  }
  const detachedWorkers = new Map<string, WorkerRecord>();
  for (const t of tasks) {
    const task = new TaskRecord(t.uuid);
    for (const key of TASK_FIELDS) if (key in t.fields) (task as unknown as Record<string, unknown>)[key] = t.fields[key];
    if (t.worker !== null) {
      let worker = state.workers.get(t.worker) ?? detachedWorkers.get(t.worker);
      if (worker === undefined) detachedWorkers.set(t.worker, (worker = new WorkerRecord(t.worker)));
      task.worker = worker;
    }
    task.touched = t.touched;
    state.tasks.set(task.uuid, task);
  }
  for (const t of tasks) {
    if (t.children.length > 0) (state.tasks.get(t.uuid) as TaskRecord).children = records(state, t.children);
  }
  const index = orphanIndex(state);
  if (index !== null) {
    for (const [parentId, waiting] of saved.orphans ?? []) {
      const children = records(state, waiting);
      if (children.size > 0) index.set(parentId, children);
    }
  }
  state.eventCount = saved.eventCount;
  state.taskCount = saved.taskCount;
  state.position = saved.position;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Check everything before touching the State, so a bad file leaves it empty. */
function validate(state: CeleryState, saved: SavedState): void {
  check(state.tasks.size === 0 && state.workers.size === 0 && state.position === 0, 'restore needs an empty State');
  checkShape(saved);
}

/** The shape saveState (or savedChangesJson) writes: counters, task and worker entries, orphans. */
function checkShape(saved: Omit<SavedState, 'orphans'> & { orphans?: unknown }): void {
  check(isObject(saved) && Array.isArray(saved.tasks) && Array.isArray(saved.workers), 'tasks/workers are not arrays');
  check(isCount(saved.eventCount) && isCount(saved.taskCount) && isCount(saved.position), 'counters are not integers');
  check(saved.orphans === undefined || (Array.isArray(saved.orphans) && saved.orphans.every((o: unknown) =>
    Array.isArray(o) && typeof o[0] === 'string' && Array.isArray(o[1]) && o[1].every((c: unknown) => typeof c === 'string'))),
  'orphans is malformed');
  for (const w of saved.workers as unknown[]) {
    check(isObject(w) && typeof w.hostname === 'string' && isObject(w.fields) && isCount(w.touched) &&
      Array.isArray(w.heartbeats) && w.heartbeats.every((h) => typeof h === 'number'), 'a worker entry is malformed');
  }
  for (const t of saved.tasks as unknown[]) {
    check(isObject(t) && typeof t.uuid === 'string' && isObject(t.fields) && isCount(t.touched) &&
      (t.worker === null || typeof t.worker === 'string') && Array.isArray(t.children) &&
      t.children.every((c) => typeof c === 'string'), 'a task entry is malformed');
  }
}
