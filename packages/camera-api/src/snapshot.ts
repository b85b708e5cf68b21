/** The snapshot document every camera receives (`evcam.snapshot/1`). */

/** Celery's `Task.as_dict()`, field for field. Unknown values are `null`. */
export interface TaskSnapshot {
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
  /** The worker's hostname. */
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
  /** The root task's id (Celery serialises `root` as `root_id`). */
  root: string | null;
  root_id: string | null;
  /** The parent task's id (Celery serialises `parent` as `parent_id`). */
  parent: string | null;
  parent_id: string | null;
  /** Sorted ids of child tasks still in memory. */
  children: string[];
}

/** Celery's `Worker._fields` plus liveness judged at `taken_at`. */
export interface WorkerSnapshot {
  hostname: string;
  pid: number | null;
  freq: number;
  /** At most 4, ascending (see spec: receive times, or sender times via task events). */
  heartbeats: number[];
  clock: number;
  active: number | null;
  processed: number | null;
  loadavg: number[] | null;
  sw_ident: string | null;
  sw_ver: string | null;
  sw_sys: string | null;
  alive: boolean;
}

export const SNAPSHOT_SCHEMA = 'evcam.snapshot/1';

export interface Snapshot {
  schema: typeof SNAPSHOT_SCHEMA;
  /** Shutter number since the kernel started, from 1 (per camera). */
  seq: number;
  /** The kernel's clock at the shutter, epoch seconds (event time when replaying). */
  taken_at: number;
  /** State.event_count: events folded since the last clear. */
  event_count: number;
  /** State.task_count: task-received events since the last clear. */
  task_count: number;
  workers: Record<string, WorkerSnapshot>;
  tasks: Record<string, TaskSnapshot>;
  /** What was touched since the previous snapshot this camera stored. */
  changed: { workers: string[]; tasks: string[] };
  /**
   * Tasks and workers that left the State (LRU eviction, clear) since the previous
   * snapshot this camera stored. Their last state was in an earlier snapshot.
   */
  removed?: { workers: string[]; tasks: string[] };
  /** Leadership epoch of the kernel that took this shutter (high availability); absent when HA is off. */
  epoch?: number;
}

/**
 * One event as the kernel folded it (Celery's receiver adjustments applied), for a
 * camera's optional `onEvent` hook. Read it synchronously; never keep or change it.
 */
export interface FoldedEvent {
  readonly type: string;
  readonly uuid?: string;
  readonly hostname?: string;
  readonly timestamp?: number;
  readonly local_received?: number;
  readonly [field: string]: unknown;
}

/** Celery's task states (celery.states). Custom states are any other string. */
export const TaskStates = {
  PENDING: 'PENDING',
  RECEIVED: 'RECEIVED',
  STARTED: 'STARTED',
  SUCCESS: 'SUCCESS',
  FAILURE: 'FAILURE',
  REVOKED: 'REVOKED',
  REJECTED: 'REJECTED',
  RETRY: 'RETRY',
} as const;

/** Celery's READY_STATES: a task in one of these is finished. */
export const READY_STATES: ReadonlySet<string> = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

/** The key under which the kernel's lazy `snapshot.tasks` view answers its ids at once (see taskIds). */
export const TASK_IDS: unique symbol = Symbol.for('evcam.snapshot.taskIds');

/**
 * The ids of `snapshot.tasks`, in its order: `Object.keys(snapshot.tasks)`, but without
 * asking the kernel's lazy view about each id (a proxy answers Object.keys one property at
 * a time: ~3 s of blocked event loop at 1M tasks). Use it to walk a whole snapshot.
 */
export function taskIds(tasks: Record<string, TaskSnapshot>): readonly string[] {
  const list = (tasks as { [TASK_IDS]?: unknown })[TASK_IDS];
  return typeof list === 'function' ? (list as () => readonly string[]).call(tasks) : Object.keys(tasks);
}
