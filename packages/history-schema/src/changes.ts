import type { Snapshot, TaskSnapshot, WorkerSnapshot } from '@evcam/camera-api';
import { taskToRow, workerToRow, type RowStamp, type TaskRow, type WorkerRow } from './rows.js';
import type { TextCleaner } from './text.js';

/** What one shutter writes: only what changed since the last stored shutter. */
export interface ShutterRows {
  tasks: TaskRow[];
  workers: WorkerRow[];
}

/**
 * The rows of the tasks and workers a shutter changed. Reads only `changed` ids (never the
 * whole task map). Workers are also rewritten when their liveness flipped since last written
 * (`alive` is judged at each shutter, and a silent worker produces no change), tracked in
 * `writtenAlive`, which the caller updates with `rows.workers` once the transaction committed.
 */
export function shutterRows(snapshot: Snapshot, stamp: RowStamp, cleaner: TextCleaner, writtenAlive: ReadonlyMap<string, boolean>): ShutterRows {
  const changed = changedTasks(snapshot, writtenAlive);
  return {
    tasks: changed.tasks.map((t) => taskToRow(t, stamp, cleaner)),
    workers: changed.workers.map((w) => workerToRow(w, stamp, cleaner)),
  };
}

/** The tasks and workers a shutter must write, as the snapshot has them (see shutterRows). */
export function changedTasks(snapshot: Snapshot, writtenAlive: ReadonlyMap<string, boolean>): { tasks: TaskSnapshot[]; workers: WorkerSnapshot[] } {
  const tasks: TaskSnapshot[] = [];
  const ids = snapshot.changed.tasks;
  const seen = new Set<string>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const task = snapshot.tasks[id];
    // Gone from memory since it changed (evicted): its last state was written by an earlier shutter.
    if (task === undefined || seen.has(id)) continue;
    seen.add(id);
    tasks.push(task);
  }
  const workers: WorkerSnapshot[] = [];
  const changedWorkers = new Set(snapshot.changed.workers);
  for (const [hostname, worker] of Object.entries(snapshot.workers)) {
    if (changedWorkers.has(hostname) || writtenAlive.get(hostname) !== worker.alive) workers.push(worker);
  }
  return { tasks, workers };
}

/** What a history camera counts, for tests and its log (the same for every SQL dialect). */
export interface HistoryCameraStats {
  /** Shutters written. */
  stored: number;
  tasksWritten: number;
  workersWritten: number;
  /** Text values replaced because the database cannot hold them (NUL on PostgreSQL, lone surrogates). */
  replaced: number;
  /** Shutters refused because a higher HA epoch already wrote. */
  fenced: number;
  /** Task rows deleted by retention. */
  deleted: number;
}
