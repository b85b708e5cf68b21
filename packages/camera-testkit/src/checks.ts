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
