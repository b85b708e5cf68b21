/**
 * What the camera remembers of each recent task to label events that carry no name
 * (task-started, task-succeeded ...) and to time queue waits: slots in typed arrays, so
 * updating a task allocates nothing. Two generations of half the capacity each: new
 * tasks fill the current one; when it is full the previous generation is forgotten at
 * once and its slots reused (no per-task delete, which would make the map rehash as it
 * churns). Independent of the State's LRU: counters never depend on what it still holds.
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
  /**
   * The worker-side series this task was last counted in, and the node name it was for:
   * started/succeeded/... from the same worker reuse it without a label lookup. Cleared
   * when the task's name or queue changes, and when series are purged.
   */
  readonly series: unknown[];
  readonly seriesHost: (string | undefined)[];
  private current = new Map<string, number>();
  private previous = new Map<string, number>();
  private readonly half: number;
  private base = 0;
  private used = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.half = Math.max(1, Math.ceil(capacity / 2));
    capacity = this.capacity = this.half * 2;
    this.name = new Int32Array(capacity).fill(-1);
    this.queue = new Int32Array(capacity).fill(-1);
    this.sent = new Float64Array(capacity).fill(NaN);
    this.received = new Float64Array(capacity).fill(NaN);
    this.started = new Float64Array(capacity).fill(NaN);
    this.eta = new Float64Array(capacity).fill(NaN);
    this.phase = new Uint8Array(capacity);
    this.series = new Array<unknown>(capacity).fill(undefined);
    this.seriesHost = new Array<string | undefined>(capacity).fill(undefined);
  }

  forgetSeries(): void {
    this.series.fill(undefined);
    this.seriesHost.fill(undefined);
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
    const s = this.base + this.used++;
    this.current.set(uuid, s);
    this.name[s] = -1;
    this.queue[s] = -1;
    this.sent[s] = this.received[s] = this.started[s] = this.eta[s] = NaN;
    this.phase[s] = Phase.NONE;
    this.series[s] = undefined;
    this.seriesHost[s] = undefined;
    return s;
  }

  /** Forget the previous generation; its slots become the current one's. */
  private rotate(): void {
    this.previous = this.current;
    this.current = new Map();
    this.base = this.base === 0 ? this.half : 0;
    this.used = 0;
    this.phase.fill(Phase.NONE, this.base, this.base + this.half); // render scans skip forgotten tasks
  }

  /** Move a task forward; events delivered out of order never move it back (a retry starts it over). */
  advance(s: number, phase: number): void {
    if (phase > this.phase[s] || this.phase[s] === Phase.RETRY) this.phase[s] = phase;
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
