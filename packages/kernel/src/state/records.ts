import type { TaskSnapshot, WorkerSnapshot } from '@evcam/camera-api';

/** Celery's TASK_EVENT_TO_STATE: subjects with a state of their own. */
const TASK_EVENT_TO_STATE: Record<string, string | undefined> = {
  __proto__: null as never,
  sent: 'PENDING', received: 'RECEIVED', started: 'STARTED', failed: 'FAILURE',
  retried: 'RETRY', succeeded: 'SUCCESS', revoked: 'REVOKED', rejected: 'REJECTED',
};

/** celery.states.PRECEDENCE: lower is stronger; unknown (custom) states rank 2. */
const PRECEDENCE: Record<string, number | undefined> = {
  __proto__: null as never,
  SUCCESS: 0, FAILURE: 1, REVOKED: 3, STARTED: 4, RECEIVED: 5, REJECTED: 6, RETRY: 7, PENDING: 8,
};
const CUSTOM_PRECEDENCE = 2;
const precedence = (state: string): number => PRECEDENCE[state] ?? CUSTOM_PRECEDENCE;

/** Celery's Task.merge_rules[RECEIVED]: the only fields a late task-received may set. */
const RECEIVED_MERGE_KEYS = ['name', 'args', 'kwargs', 'parent_id', 'root_id', 'retries', 'eta', 'expires'] as const;

/** A decoded, receiver-adjusted Celery event. */
export interface CeleryEvent {
  type: string;
  timestamp?: number;
  local_received?: number;
  hostname?: string;
  uuid?: string;
  clock?: number;
  utcoffset?: number;
  [field: string]: unknown;
}

/** Celery's Task (state object), with only the fields `as_dict()` exports. */
export class TaskRecord {
  name: unknown = null;
  state: unknown = 'PENDING';
  received: unknown = null;
  sent: unknown = null;
  started: unknown = null;
  rejected: unknown = null;
  succeeded: unknown = null;
  failed: unknown = null;
  retried: unknown = null;
  revoked: unknown = null;
  args: unknown = null;
  kwargs: unknown = null;
  eta: unknown = null;
  expires: unknown = null;
  retries: unknown = null;
  worker: WorkerRecord | null = null;
  result: unknown = null;
  exception: unknown = null;
  timestamp: unknown = null;
  runtime: unknown = null;
  traceback: unknown = null;
  exchange: unknown = null;
  routing_key: unknown = null;
  clock: unknown = 0;
  client: unknown = null;
  root_id: unknown = null;
  parent_id: unknown = null;
  /**
   * Celery keeps a WeakSet of child Task objects. They sit in reference cycles, so
   * which evicted children are still listed depends on when CPython last ran a full
   * collection; after one (the goldens are taken after gc.collect()) only children
   * still in State remain. We purge at eviction, which is that collected state.
   */
  children: Set<TaskRecord> | null = null;
  /** State version of the last change (for `changed`). */
  touched = 0;
  /** Cached as_dict(); dropped whenever the task changes. Never mutated once built. */
  dict: TaskSnapshot | null = null;
  /** State version the task entered the State at (for `removed`). */
  born = 0;
  /** Stamp of the task's place in the LRU order (rises with every insert or bump): lets a cut replay its order. */
  lru = 0;
  /** Neighbours in the State's touch-ordered list (oldest change first), so `changed` costs O(changed). */
  olderTouch: TaskRecord | null = null;
  newerTouch: TaskRecord | null = null;
  /** In the touch list (false once evicted or cleared). */
  linked = false;

  constructor(readonly uuid: string) {}

  /** Celery's Task.event(type_, timestamp, local_received, fields). */
  event(subject: string, timestamp: unknown, fields: CeleryEvent): void {
    let state = TASK_EVENT_TO_STATE[subject];
    if (state !== undefined) {
      (this as unknown as Record<string, unknown>)[subject] = timestamp;
    } else {
      state = subject.toUpperCase();
    }
    const current = this.state as string;
    if (state !== 'RETRY' && current !== 'RETRY' && precedence(state) > precedence(current)) {
      // A late event: it logically happened before the current state.
      if (state === 'RECEIVED') {
        for (const key of RECEIVED_MERGE_KEYS) {
          if (key in fields) (this as unknown as Record<string, unknown>)[key] = fields[key];
        }
      } else {
        this.assign(fields);
      }
    } else {
      this.assign(fields);
      this.state = state;
      this.timestamp = timestamp;
    }
  }

  /** `self.__dict__.update(fields)`, restricted to the fields that are exported. */
  private assign(fields: CeleryEvent): void {
    for (const key in fields) {
      switch (key) {
        case 'name': this.name = fields.name; break;
        case 'state': this.state = fields.state; break;
        case 'received': this.received = fields.received; break;
        case 'sent': this.sent = fields.sent; break;
        case 'started': this.started = fields.started; break;
        case 'rejected': this.rejected = fields.rejected; break;
        case 'succeeded': this.succeeded = fields.succeeded; break;
        case 'failed': this.failed = fields.failed; break;
        case 'retried': this.retried = fields.retried; break;
        case 'revoked': this.revoked = fields.revoked; break;
        case 'args': this.args = fields.args; break;
        case 'kwargs': this.kwargs = fields.kwargs; break;
        case 'eta': this.eta = fields.eta; break;
        case 'expires': this.expires = fields.expires; break;
        case 'retries': this.retries = fields.retries; break;
        case 'result': this.result = fields.result; break;
        case 'exception': this.exception = fields.exception; break;
        case 'timestamp': this.timestamp = fields.timestamp; break;
        case 'runtime': this.runtime = fields.runtime; break;
        case 'traceback': this.traceback = fields.traceback; break;
        case 'exchange': this.exchange = fields.exchange; break;
        case 'routing_key': this.routing_key = fields.routing_key; break;
        case 'clock': this.clock = fields.clock; break;
        case 'client': this.client = fields.client; break;
        case 'root_id': this.root_id = fields.root_id; break;
        case 'parent_id': this.parent_id = fields.parent_id; break;
        default: break; // other fields (type, hostname, pid, queue, ...) are not exported
      }
    }
  }
}

/** Celery's Worker (state object). */
export class WorkerRecord {
  pid: unknown = null;
  freq: unknown = 60;
  heartbeats: number[] = [];
  clock: unknown = 0;
  active: unknown = null;
  processed: unknown = null;
  loadavg: unknown = null;
  sw_ident: unknown = null;
  sw_ver: unknown = null;
  sw_sys: unknown = null;
  touched = 0;
  /** State version the worker entered the State at (for `removed`). */
  born = 0;

  constructor(readonly hostname: string) {}

  /** Copy a worker event's exported fields onto the worker (Celery copies every field). */
  assign(fields: CeleryEvent): void {
    for (const key in fields) {
      switch (key) {
        case 'pid': this.pid = fields.pid; break;
        case 'freq': this.freq = fields.freq; break;
        case 'clock': this.clock = fields.clock; break;
        case 'active': this.active = fields.active; break;
        case 'processed': this.processed = fields.processed; break;
        case 'loadavg': this.loadavg = fields.loadavg; break;
        case 'sw_ident': this.sw_ident = fields.sw_ident; break;
        case 'sw_ver': this.sw_ver = fields.sw_ver; break;
        case 'sw_sys': this.sw_sys = fields.sw_sys; break;
        default: break;
      }
    }
  }

  /** Celery's bounded, sorted heartbeat list (heartbeat_max = 4). */
  pushHeartbeat(at: number): void {
    const hb = this.heartbeats;
    const hearts = hb.length;
    if (hearts > 3) hb.shift();
    if (hearts && at > hb[hb.length - 1]) {
      hb.push(at);
    } else {
      // bisect.insort (right): after any equal entries
      let i = hb.length;
      while (i > 0 && hb[i - 1] > at) i--;
      hb.splice(i, 0, at);
    }
  }

  /** Celery's Worker.alive at `now`: heartbeats and now < last + freq * 2 (expire window 200 %). */
  aliveAt(now: number): boolean {
    const hb = this.heartbeats;
    return hb.length > 0 && now < hb[hb.length - 1] + (this.freq as number) * (200 / 1e2);
  }

  toSnapshot(now: number): WorkerSnapshot {
    return {
      hostname: this.hostname,
      pid: this.pid as WorkerSnapshot['pid'],
      freq: this.freq as number,
      heartbeats: this.heartbeats.slice(),
      clock: this.clock as number,
      active: this.active as WorkerSnapshot['active'],
      processed: this.processed as WorkerSnapshot['processed'],
      loadavg: this.loadavg as WorkerSnapshot['loadavg'],
      sw_ident: this.sw_ident as WorkerSnapshot['sw_ident'],
      sw_ver: this.sw_ver as WorkerSnapshot['sw_ver'],
      sw_sys: this.sw_sys as WorkerSnapshot['sw_sys'],
      alive: this.aliveAt(now),
    };
  }
}
