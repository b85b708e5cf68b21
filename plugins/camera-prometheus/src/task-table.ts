/**
 * What the camera remembers of each recent task to label events that carry no name
 * (task-started, task-succeeded ...) and to time queue waits. One record of 8 numbers
 * per task in a single Float64Array (one cache line: a task event touches one line, not
 * one per field), so updating a task allocates nothing. Two generations of half the
 * capacity each: new tasks fill the current one; when it is full the previous generation
 * is forgotten at once and its records reused (no per-task delete, which would make the
 * map rehash as it churns). Independent of the State's LRU: counters never depend on what
 * it still holds.
 */
export const Phase = { NONE: 0, RETRY: 1, SENT: 2, RECEIVED: 3, STARTED: 4, DONE: 5 } as const;

/** Field offsets in a task record (a slot is the record's offset in `rec`). */
export const NAME = 0;
export const QUEUE = 1;
export const SENT = 2;
export const RECEIVED = 3;
export const STARTED = 4;
export const ETA = 5;
export const PHASE = 6;
export const STRIDE = 8;

export class TaskTable {
  /** Task records: name index, queue index, sent, received, started, eta, phase (NaN: unknown). */
  readonly rec: Float64Array;
  /**
   * Per task, at slot/4 and slot/4 + 1: the worker-side series it was last counted in and the
   * node name it was for, so started/succeeded/... from the same worker reuse it without a
   * label lookup. Cleared when the task's name or queue changes, and when series are purged.
   */
  readonly refs: unknown[];
  private current = new Map<string, number>();
  private previous = new Map<string, number>();
  private readonly half: number;
  private base = 0;
  private used = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.half = Math.max(1, Math.ceil(capacity / 2));
    this.capacity = this.half * 2;
    this.rec = new Float64Array(this.capacity * STRIDE);
    this.refs = new Array<unknown>(this.capacity * 2).fill(undefined);
  }

  forgetSeries(): void {
    this.refs.fill(undefined);
  }

  /** The slot of a known task, or -1. */
  find(uuid: string): number {
    return this.current.get(uuid) ?? this.previous.get(uuid) ?? -1;
  }

  /** The slot of a task, taking a free one for a new task. */
  slot(uuid: string): number {
    const known = this.current.get(uuid);
    if (known !== undefined) return known;
    const older = this.previous.get(uuid);
    if (older !== undefined) return older;
    if (this.used === this.half) this.rotate();
    const s = (this.base + this.used++) * STRIDE;
    this.current.set(uuid, s);
    const rec = this.rec;
    rec[s + NAME] = -1;
    rec[s + QUEUE] = -1;
    rec[s + SENT] = rec[s + RECEIVED] = rec[s + STARTED] = rec[s + ETA] = NaN;
    rec[s + PHASE] = Phase.NONE;
    this.refs[s >> 2] = this.refs[(s >> 2) + 1] = undefined;
    return s;
  }

  /** Forget the previous generation; its records become the current one's. */
  private rotate(): void {
    this.previous = this.current;
    this.current = new Map();
    this.base = this.base === 0 ? this.half : 0;
    this.used = 0;
    const end = (this.base + this.half) * STRIDE;
    for (let s = this.base * STRIDE; s < end; s += STRIDE) this.rec[s + PHASE] = Phase.NONE; // scans skip forgotten tasks
  }

  /** Move a task forward; events delivered out of order never move it back (a retry starts it over). */
  advance(s: number, phase: number): void {
    const at = s + PHASE;
    if (phase > this.rec[at] || this.rec[at] === Phase.RETRY) this.rec[at] = phase;
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}

/** Celery's eta/expires are ISO 8601 strings (or null): epoch seconds, NaN when absent or unreadable. */
export function parseEta(value: unknown): number {
  if (typeof value !== 'string') return NaN;
  const ms = Date.parse(value);
  return ms === ms ? ms / 1000 : NaN;
}
