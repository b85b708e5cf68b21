import { TASK_IDS, type TaskSnapshot } from '@evcam/camera-api';
import type { TaskRecord } from './records.js';

/** What a task was at a cut: its dict (null: not in the State then) and its place in the LRU order. */
interface Kept { dict: TaskSnapshot | null; lru: number }

/** The parts of the State a cut reads. */
export interface CutSource {
  readonly tasks: ReadonlyMap<string, TaskRecord>;
  taskDict(task: TaskRecord): TaskSnapshot;
}

/**
 * Copy-on-write overlay of one open snapshot. While it is open, the State calls
 * keep() before it changes, moves or drops a task the cut still sees as it is,
 * and keepAbsent() when it adds one the cut did not have. Task dicts are never
 * mutated once built, so keeping one is keeping a pointer. Reads resolve a uuid
 * from the overlay first, then from the live State (untouched since the cut).
 */
export class CutOverlay {
  /** null once released: the view then reads the live State. */
  kept: Map<string, Kept> | null = new Map();
  /** The view this overlay serves; when it is garbage-collected the overlay is dropped too. */
  ref: WeakRef<object> | null = null;

  constructor(readonly version: number, readonly lru: number) {}

  /** `task` is about to change: keep it as the cut saw it, once. */
  keep(task: TaskRecord, source: CutSource): void {
    const kept = this.kept;
    if (kept === null || task.touched > this.version || kept.has(task.uuid)) return;
    kept.set(task.uuid, { dict: source.taskDict(task), lru: task.lru });
  }

  /** A task the cut did not hold arrives under `uuid`. */
  keepAbsent(uuid: string): void {
    const kept = this.kept;
    if (kept !== null && !kept.has(uuid)) kept.set(uuid, { dict: null, lru: 0 });
  }

  get live(): boolean {
    return this.kept !== null && this.ref?.deref() !== undefined;
  }

  release(): void {
    this.kept = null;
    this.ref = null;
  }
}

/** One task as the cut saw it. */
function lookup(overlay: CutOverlay, source: CutSource, uuid: string): TaskSnapshot | undefined {
  const k = overlay.kept?.get(uuid);
  if (k !== undefined) return k.dict ?? undefined;
  const task = source.tasks.get(uuid);
  return task === undefined ? undefined : source.taskDict(task);
}

/** Whether the cut held `uuid`, without building its dict. */
function held(overlay: CutOverlay, source: CutSource, uuid: string): boolean {
  const k = overlay.kept?.get(uuid);
  return k !== undefined ? k.dict !== null : source.tasks.has(uuid);
}

/**
 * The ids of the cut's tasks, in the LRU order it had then: O(tasks held), but no dict is
 * built (a camera that walks the view in slices builds them as it goes, between turns of
 * the event loop, instead of all at once).
 */
function cutKeys(overlay: CutOverlay, source: CutSource): string[] {
  const out: string[] = [];
  const kept = overlay.kept;
  if (kept === null) {
    for (const uuid of source.tasks.keys()) out.push(uuid);
    return out;
  }
  const cutLru = overlay.lru;
  // Tasks that moved (LRU bump) or left since the cut: placed back where they were.
  const moved: [uuid: string, k: Kept][] = [];
  for (const entry of kept) {
    const k = entry[1];
    if (k.dict === null) continue;
    const task = source.tasks.get(entry[0]);
    if (task === undefined || task.lru > cutLru) moved.push(entry);
  }
  moved.sort((a, b) => a[1].lru - b[1].lru);
  let j = 0;
  for (const task of source.tasks.values()) {
    if (task.lru > cutLru) break; // the LRU map is in ascending lru order: the rest arrived after the cut
    while (j < moved.length && moved[j][1].lru < task.lru) out.push(moved[j++][0]);
    const k = kept.get(task.uuid);
    if (k === undefined || k.dict !== null) out.push(task.uuid);
  }
  for (; j < moved.length; j++) out.push(moved[j][0]);
  return out;
}

/** The whole tasks map of the cut, in the LRU order it had then. O(tasks held). */
function materialise(overlay: CutOverlay, source: CutSource): Record<string, TaskSnapshot> {
  const out: Record<string, TaskSnapshot> = {};
  for (const uuid of cutKeys(overlay, source)) out[uuid] = lookup(overlay, source, uuid) as TaskSnapshot;
  return out;
}

const readOnly = (): boolean => false;

/**
 * `snapshot.tasks` as a read-only view of the cut: `tasks[uuid]` resolves one
 * record (O(1)); listing its keys lists the cut's ids (O(tasks), no dict built;
 * each property is a getter that resolves its record when read); JSON.stringify()
 * builds the full map once (O(tasks)), in the order and with the values of the cut.
 */
export function cutView(overlay: CutOverlay, source: CutSource): Record<string, TaskSnapshot> {
  let full: Record<string, TaskSnapshot> | null = null;
  let ids: string[] | null = null;
  const whole = (): Record<string, TaskSnapshot> => (full ??= materialise(overlay, source));
  const list = (): string[] => (ids ??= full !== null ? Object.keys(full) : cutKeys(overlay, source));
  // taskIds(view): the id list itself, not one trap call per id.
  const answerIds = (): readonly string[] => list();
  const one = (key: string): TaskSnapshot | undefined => (full !== null ? (Object.hasOwn(full, key) ? full[key] : undefined) : lookup(overlay, source, key));
  const view = new Proxy({} as Record<string, TaskSnapshot>, {
    get(target, key, receiver) {
      if (typeof key === 'string') {
        const task = one(key);
        if (task !== undefined) return task;
        // JSON.stringify asks for toJSON first: hand it the plain map, serialised at native speed.
        if (key === 'toJSON') return whole;
      }
      if (key === TASK_IDS) return answerIds;
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      return (typeof key === 'string' && one(key) !== undefined) || Reflect.has(target, key);
    },
    ownKeys() {
      return list();
    },
    getOwnPropertyDescriptor(_target, key) {
      if (typeof key !== 'string') return undefined;
      if (full === null) {
        // Object.keys / entries ask this for every id: answer without building the dict.
        return held(overlay, source, key) ? { get: () => one(key), set: undefined, enumerable: true, configurable: true } : undefined;
      }
      const task = one(key);
      return task === undefined ? undefined : { value: task, writable: false, enumerable: true, configurable: true };
    },
    set: readOnly,
    defineProperty: readOnly,
    deleteProperty: readOnly,
  });
  overlay.ref = new WeakRef(view);
  return view;
}
