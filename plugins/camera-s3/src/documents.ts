import type { Snapshot } from '@evcam/camera-api';

/**
 * A delta history object: the snapshot's header fields, only the tasks/workers that
 * changed since the previous history object, and what disappeared from the State.
 * State at a delta = its base full object + every delta after it, in seq order.
 */
export interface DeltaDocument extends Omit<Snapshot, 'tasks' | 'workers'> {
  delta: true;
  /** Key seq and key of the full history object this delta chain starts from. */
  base: number;
  base_key: string;
  tasks: Snapshot['tasks'];
  workers: Snapshot['workers'];
  /** Ids present in the previous history object and gone now (evicted, or cleared by clear_after). */
  removed: { tasks: string[]; workers: string[] };
}

/** What a delta object lists as removed and changed: from the kernel's `changed`/`removed`, never the full view. */
export interface DeltaIds { tasks: string[]; workers: string[]; removedTasks: string[]; removedWorkers: string[] }

/** A delta built by single-id lookups of the changed ids: O(changed). */
export function deltaDocument(snapshot: Snapshot, ids: DeltaIds, base: { seq: number; key: string }): DeltaDocument {
  const { tasks, workers, removed: _removed, ...header } = snapshot;
  const pickedTasks: Snapshot['tasks'] = {};
  for (const id of ids.tasks) { const t = tasks[id]; if (t !== undefined) pickedTasks[id] = t; }
  const pickedWorkers: Snapshot['workers'] = {};
  for (const id of ids.workers) if (Object.hasOwn(workers, id)) pickedWorkers[id] = workers[id];
  return {
    ...header,
    delta: true,
    base: base.seq,
    base_key: base.key,
    tasks: pickedTasks,
    workers: pickedWorkers,
    removed: { tasks: ids.removedTasks, workers: ids.removedWorkers },
  };
}
