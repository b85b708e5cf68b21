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

export interface Ids { tasks: Set<string>; workers: Set<string> }

export function idsOf(snapshot: Snapshot): Ids {
  return { tasks: new Set(Object.keys(snapshot.tasks)), workers: new Set(Object.keys(snapshot.workers)) };
}

export function deltaDocument(snapshot: Snapshot, previous: Ids, current: Ids, base: { seq: number; key: string }): DeltaDocument {
  const pick = <T>(all: Record<string, T>, ids: string[]): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const id of ids) if (Object.hasOwn(all, id)) out[id] = all[id];
    return out;
  };
  const gone = (before: Set<string>, now: Set<string>): string[] => [...before].filter((id) => !now.has(id));
  const { tasks, workers, ...header } = snapshot;
  return {
    ...header,
    delta: true,
    base: base.seq,
    base_key: base.key,
    tasks: pick(tasks, snapshot.changed.tasks),
    workers: pick(workers, snapshot.changed.workers),
    removed: { tasks: gone(previous.tasks, current.tasks), workers: gone(previous.workers, current.workers) },
  };
}
