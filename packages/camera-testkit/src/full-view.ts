import type { Snapshot } from '@evcam/camera-api';

/** How often a camera listed or serialised `snapshot.tasks` (each one costs O(tasks held)). */
export interface FullViewReads {
  /** Object.keys / for…in / Object.entries / spread (the ownKeys trap). */
  listed: number;
  /** JSON.stringify (it asks for toJSON). */
  serialised: number;
}

/**
 * `snapshot` with its lazy `tasks` view wrapped so that every full read is counted;
 * single-id lookups pass through. Wrap a snapshot the kernel's State really took
 * (e.g. `harness.state.snapshot(...)`), so the view under the count is the real one.
 */
export function watchFullView(snapshot: Snapshot): { snapshot: Snapshot; reads: FullViewReads } {
  const reads: FullViewReads = { listed: 0, serialised: 0 };
  const view = snapshot.tasks;
  const tasks = new Proxy(view, {
    ownKeys(target) { reads.listed++; return Reflect.ownKeys(target); },
    get(target, key) {
      if (key === 'toJSON') reads.serialised++;
      return Reflect.get(target, key);
    },
  });
  return { snapshot: { ...snapshot, tasks }, reads };
}
