/**
 * What the camera remembers of each recent task to label events that carry no name
 * (task-started, task-succeeded ...) and to time queue waits: a fixed-size ring of
 * slots in typed arrays, so updating a task allocates nothing. The oldest task is
 * forgotten first when the ring is full (like the State's LRU, but independent of it:
 * counters never depend on what the State still holds).
 */
export const Phase = { NONE: 0, RETRY: 1, SENT: 2, RECEIVED: 3, STARTED: 4, DONE: 5 } as const;

export class TaskTable {
  readonly name: Int32Array;
  readonly queue: Int32Array;
  readonly sent: Float64Array;
  readonly received: Float64Array;
  readonly started: Float64Array;
  readonly eta: Float64Array;
  readonly phase: Uint8Array;
  private readonly uuids: (string | undefined)[];
  private readonly slots = new Map<string, number>();
  private next = 0;

  constructor(readonly capacity: number) {
    this.name = new Int32Array(capacity).fill(-1);
    this.queue = new Int32Array(capacity).fill(-1);
    this.sent = new Float64Array(capacity).fill(NaN);
    this.received = new Float64Array(capacity).fill(NaN);
    this.started = new Float64Array(capacity).fill(NaN);
    this.eta = new Float64Array(capacity).fill(NaN);
    this.phase = new Uint8Array(capacity);
    this.uuids = new Array<string | undefined>(capacity);
  }

  /** The slot of a known task, or -1. */
  find(uuid: string): number {
    return this.slots.get(uuid) ?? -1;
  }

  /** The slot of a task, taking the oldest slot for a new one. */
  slot(uuid: string): number {
    const known = this.slots.get(uuid);
    if (known !== undefined) return known;
    const s = this.next;
    this.next = s + 1 === this.capacity ? 0 : s + 1;
    const old = this.uuids[s];
    if (old !== undefined) this.slots.delete(old);
    this.uuids[s] = uuid;
    this.slots.set(uuid, s);
    this.name[s] = -1;
    this.queue[s] = -1;
    this.sent[s] = this.received[s] = this.started[s] = this.eta[s] = NaN;
    this.phase[s] = Phase.NONE;
    return s;
  }

  /** Move a task forward; events delivered out of order never move it back (a retry starts it over). */
  advance(s: number, phase: number): void {
    if (phase > this.phase[s] || this.phase[s] === Phase.RETRY) this.phase[s] = phase;
  }

  get size(): number {
    return this.slots.size;
  }
}

/** Celery's eta/expires are ISO 8601 strings (or null): epoch seconds, NaN when absent or unreadable. */
export function parseEta(value: unknown): number {
  if (typeof value !== 'string') return NaN;
  const ms = Date.parse(value);
  return ms === ms ? ms / 1000 : NaN;
}
