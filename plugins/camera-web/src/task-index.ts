import type { Snapshot, TaskSnapshot, WorkerSnapshot } from '@evcam/camera-api';
import { MinuteRing } from './minute-ring.js';
import { RuntimeStats } from './runtime-stats.js';

const FINISHED = new Set(['SUCCESS', 'FAILURE']);
/** Index entries checked per shutter when the kernel does not list `removed`. */
const SWEEP_PER_SHUTTER = 1000;

export interface IndexLimits {
  recentPerWorker: number;
  runtimeSamples: number;
  maxTaskNames: number;
}

/**
 * What the dashboard serves, kept up to date from each shutter's `changed`/`removed`
 * only: the tasks in memory (references to the snapshot's shared documents), counts by
 * state, each worker's recent tasks, throughput per minute and runtimes per task name.
 */
export class TaskIndex {
  readonly tasks = new Map<string, TaskSnapshot>();
  readonly stateCounts = new Map<string, number>();
  /** Task names and queues seen, with how many tasks in memory carry them (for the filter lists). */
  readonly names = new Map<string, number>();
  readonly queues = new Map<string, number>();
  readonly minutes = new MinuteRing(60);
  readonly runtimes: RuntimeStats;
  workers: Record<string, WorkerSnapshot> = {};
  private readonly recent = new Map<string, string[]>();
  private sweeper: Iterator<string> = this.tasks.keys();
  /** The last stored shutter: what "now" means for the State's data. */
  seq = 0;
  takenAt = 0;
  eventCount = 0;
  taskCount = 0;

  constructor(private readonly limits: IndexLimits) {
    this.runtimes = new RuntimeStats(limits.runtimeSamples, limits.maxTaskNames);
  }

  /** Fold one shutter in: O(changed + removed), never O(tasks held). */
  apply(snapshot: Snapshot): void {
    this.seq = snapshot.seq;
    this.takenAt = snapshot.taken_at;
    this.eventCount = snapshot.event_count;
    this.taskCount = snapshot.task_count;
    this.workers = snapshot.workers;
    for (const uuid of snapshot.removed?.tasks ?? []) this.remove(uuid);
    for (const uuid of snapshot.changed.tasks) {
      const next = snapshot.tasks[uuid];
      if (next === undefined) this.remove(uuid);
      else this.put(next, snapshot.taken_at);
    }
    if (snapshot.removed === undefined) this.sweep(snapshot);
  }

  /**
   * A kernel that does not list `removed`: look up a bounded slice of the index per shutter
   * (O(1) each) and drop what left the State, so the index never outgrows it for long.
   */
  private sweep(snapshot: Snapshot): void {
    for (let n = 0; n < SWEEP_PER_SHUTTER; n++) {
      let next = this.sweeper.next();
      if (next.done) {
        this.sweeper = this.tasks.keys();
        next = this.sweeper.next();
        if (next.done) return;
      }
      if (snapshot.tasks[next.value] === undefined) this.remove(next.value);
    }
  }

  recentTasks(hostname: string): readonly string[] {
    return this.recent.get(hostname) ?? [];
  }

  private put(next: TaskSnapshot, now: number): void {
    const prev = this.tasks.get(next.uuid);
    this.tasks.set(next.uuid, next);
    if (prev?.state !== next.state) {
      if (prev !== undefined) bump(this.stateCounts, prev.state, -1);
      bump(this.stateCounts, next.state, 1);
      if (FINISHED.has(next.state) && !FINISHED.has(prev?.state ?? '')) this.finished(next, now);
    }
    if (prev?.name !== next.name) {
      if (prev?.name) bump(this.names, prev.name, -1);
      if (next.name) bump(this.names, next.name, 1);
    }
    if (prev?.routing_key !== next.routing_key) {
      if (prev?.routing_key) bump(this.queues, prev.routing_key, -1);
      if (next.routing_key) bump(this.queues, next.routing_key, 1);
    }
    if (next.worker !== null) this.touchWorker(next.worker, next.uuid);
  }

  /** Counted in the minute of the shutter that first saw it finished (worker clocks may be skewed; shutters are not). */
  private finished(t: TaskSnapshot, now: number): void {
    const failure = t.state === 'FAILURE';
    this.minutes.add(now, failure, now);
    if (!failure && t.runtime !== null && t.name !== null) this.runtimes.add(t.name, t.runtime);
  }

  private touchWorker(hostname: string, uuid: string): void {
    let list = this.recent.get(hostname);
    if (list === undefined) this.recent.set(hostname, list = []);
    if (list[0] === uuid) return;
    const at = list.indexOf(uuid);
    if (at >= 0) list.splice(at, 1);
    list.unshift(uuid);
    if (list.length > this.limits.recentPerWorker) list.length = this.limits.recentPerWorker;
  }

  private remove(uuid: string): void {
    const prev = this.tasks.get(uuid);
    if (prev === undefined) return;
    this.tasks.delete(uuid);
    bump(this.stateCounts, prev.state, -1);
    if (prev.name) bump(this.names, prev.name, -1);
    if (prev.routing_key) bump(this.queues, prev.routing_key, -1);
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}
