import type { Snapshot } from '@evcam/camera-api';

/** What a camera's backend holds, as the plugin reads it back: task uuid → state (or the task document). */
export interface BackendView {
  tasks: Record<string, string | { state: string } | undefined>;
}

const MAX_LISTED = 5;

function listed(problems: string[]): string {
  const more = problems.length > MAX_LISTED ? `; and ${problems.length - MAX_LISTED} more` : '';
  return problems.slice(0, MAX_LISTED).join('; ') + more;
}

/** Every task of `snapshot` is in the backend, in the state the snapshot gives it. */
export function backendProblems(view: BackendView | null | undefined, snapshot: Snapshot): string | null {
  if (!view || typeof view.tasks !== 'object' || view.tasks === null) {
    return 'readBack() returned no { tasks } object';
  }
  const problems: string[] = [];
  for (const [uuid, task] of Object.entries(snapshot.tasks)) {
    const held = view.tasks[uuid];
    const state = typeof held === 'string' ? held : held?.state;
    if (state === undefined) problems.push(`task ${uuid} (${task.state}) is missing`);
    else if (state !== task.state) problems.push(`task ${uuid} is ${state} in the backend but ${task.state} in snapshot ${snapshot.seq}`);
  }
  return problems.length === 0 ? null
    : `the backend does not hold snapshot ${snapshot.seq} (${Object.keys(snapshot.tasks).length} tasks): ${listed(problems)}`;
}

/**
 * A camera that writes only `changed` must end up with what a full write would
 * give: apply each stored snapshot's changed tasks onto the previous ones and
 * every task must match the snapshot.
 */
export function incrementalProblems(stored: readonly Snapshot[]): string | null {
  const view = new Map<string, string>();
  const problems: string[] = [];
  let previous = 0;
  for (const snapshot of stored) {
    for (const uuid of snapshot.changed.tasks) {
      const task = snapshot.tasks[uuid];
      if (task === undefined) problems.push(`snapshot ${snapshot.seq} lists ${uuid} in changed.tasks but not in tasks`);
      else view.set(uuid, JSON.stringify(task));
    }
    for (const hostname of snapshot.changed.workers) {
      if (snapshot.workers[hostname] === undefined) problems.push(`snapshot ${snapshot.seq} lists worker ${hostname} in changed.workers but not in workers`);
    }
    for (const [uuid, task] of Object.entries(snapshot.tasks)) {
      if (view.get(uuid) !== JSON.stringify(task)) {
        problems.push(`task ${uuid} changed between stored snapshots ${previous} and ${snapshot.seq} but is not in changed.tasks`);
      }
    }
    previous = snapshot.seq;
  }
  return problems.length === 0 ? null : listed(problems);
}

/** Stored seqs strictly increase (retries store the same seq once). */
export function orderProblems(stored: readonly Snapshot[]): string | null {
  for (let i = 1; i < stored.length; i++) {
    if (stored[i].seq <= stored[i - 1].seq) {
      return `snapshot ${stored[i].seq} was stored after snapshot ${stored[i - 1].seq}`;
    }
  }
  return null;
}

/** What a backend does with a task the State evicted: see ConformanceOptions.eviction. */
export type EvictionRule = 'keep' | 'drop';

const stateOf = (held: BackendView['tasks'][string]): string | undefined => (typeof held === 'string' ? held : held?.state);

/**
 * After a run through a State too small for the stream: what the backend holds for the
 * tasks that left the State. `keep`: every task ever stored, in its last stored state.
 * `drop`: none of them. Unset: each one either gone or in its last stored state.
 * Tasks still in the State must match the last stored snapshot in every case.
 */
export function evictionProblems(view: BackendView | null | undefined, stored: readonly Snapshot[], rule?: EvictionRule): string | null {
  const last = stored[stored.length - 1];
  if (last === undefined) return 'no snapshot was stored';
  const current = backendProblems(view, last);
  if (current !== null) return current;
  // The last state each task was stored in (the kit may iterate whole snapshots; cameras should not).
  const lastStored = new Map<string, string>();
  for (const snapshot of stored) for (const [uuid, task] of Object.entries(snapshot.tasks)) lastStored.set(uuid, task.state);
  const evicted = [...lastStored.keys()].filter((uuid) => last.tasks[uuid] === undefined);
  if (evicted.length === 0) return `no stored task was evicted (${lastStored.size} stored, ${Object.keys(last.tasks).length} in the State): the kit's eviction run did not evict`;
  const removedSeen = stored.some((s) => s.removed !== undefined);
  const problems: string[] = [];
  for (const uuid of evicted) {
    const state = stateOf(view!.tasks[uuid]);
    const want = lastStored.get(uuid)!;
    if (rule === 'drop') {
      if (state !== undefined) problems.push(`evicted task ${uuid} is still in the backend (${state})`);
    } else if (state === undefined) {
      if (rule === 'keep') problems.push(`evicted task ${uuid} (${want} when last stored) is gone from the backend`);
    } else if (state !== want) {
      problems.push(`evicted task ${uuid} is ${state} in the backend but was ${want} when last stored`);
    }
  }
  if (problems.length === 0) return null;
  const fix = rule === 'drop'
    ? (removedSeen ? 'delete the ids snapshot.removed.tasks lists' : 'this kernel\'s snapshots carry no `removed`: write the whole State (snapshot.tasks), or set eviction: \'keep\'')
    : rule === 'keep'
      ? 'eviction from memory is not deletion: do not delete tasks missing from snapshot.tasks (or set eviction: \'drop\' if the backend mirrors the State)'
      : 'an evicted task must keep the state it was last stored in';
  return `${evicted.length} of ${lastStored.size} stored tasks were evicted from the State: ${listed(problems)}; ${fix}`;
}
