import { READY_STATES, SNAPSHOT_SCHEMA, type Logger, type Snapshot, type TaskSnapshot, type TakenSnapshot, type WorkerSnapshot } from '@evcam/camera-api';
import { restoreState, saveState, type SavedState } from '../checkpoint/state-codec.js';
import type { State } from '../container/services.js';
import { TaskRecord, WorkerRecord, type CeleryEvent } from './records.js';

export interface StateLimits {
  /** Celery's max_tasks_in_memory (default 10000; 0 = unbounded). */
  maxTasksInMemory: number;
  /** Celery's max_workers_in_memory (default 5000; 0 = unbounded). */
  maxWorkersInMemory: number;
}

export const DEFAULT_STATE_LIMITS: StateLimits = { maxTasksInMemory: 10000, maxWorkersInMemory: 5000 };

/** Celery's HEARTBEAT_DRIFT_MAX: warn when a sender's clock is this far off. */
const HEARTBEAT_DRIFT_MAX = 16;

/**
 * Celery's `celery.events.state.State`, field for field for what a snapshot
 * exports. Differences, all invisible in snapshots: no task heap or
 * tasks_by_type/worker indexes (they only serve queries cameras don't make),
 * and evicted tasks are purged at once instead of when garbage-collected.
 */
export class CeleryState implements State {
  /** LRU maps in Celery's order: insertion order, bumped by parent lookups. */
  readonly tasks = new Map<string, TaskRecord>();
  readonly workers = new Map<string, WorkerRecord>();
  eventCount = 0;
  taskCount = 0;
  /** Monotonic stream position: one step per folded event, never reset. */
  position = 0;
  private readonly limits: StateLimits;
  /** Celery's _tasks_to_resolve: children seen before their parent. */
  private readonly orphans = new Map<string, Set<TaskRecord>>();
  private readonly typeSplit = new Map<string, [group: string, subject: string]>();
  private readonly driftWarned = new Set<string>();

  constructor(limits: Partial<StateLimits> = {}, private readonly logger?: Logger) {
    this.limits = { ...DEFAULT_STATE_LIMITS, ...limits };
  }

  /** Celery's State.event(): fold one receiver-adjusted event. */
  event(event: CeleryEvent): void {
    this.eventCount++;
    const position = ++this.position;
    const [group, subject] = this.split(event.type);
    if (group === 'task') this.taskEvent(subject, event, position);
    else if (group === 'worker') this.workerEvent(subject, event, position);
    // any other group: counted, otherwise ignored (as Celery does)
  }

  private split(type: string): [string, string] {
    let parts = this.typeSplit.get(type);
    if (parts === undefined) {
      const dash = type.indexOf('-');
      parts = dash < 0 ? [type, ''] : [type.slice(0, dash), type.slice(dash + 1)];
      if (this.typeSplit.size < 1024) this.typeSplit.set(type, parts);
    }
    return parts;
  }

  private workerEvent(subject: string, event: CeleryEvent, position: number): void {
    const { hostname, timestamp, local_received: localReceived } = event;
    if (hostname === undefined || timestamp === undefined || localReceived === undefined) return;
    let worker = this.workers.get(hostname);
    if (worker === undefined) {
      worker = new WorkerRecord(hostname);
      // Celery does not store a worker first seen going offline.
      if (subject !== 'offline') this.insertWorker(worker);
    }
    worker.assign(event);
    worker.touched = position;
    if (subject === 'offline') {
      worker.heartbeats.length = 0;
    } else if (localReceived && timestamp) {
      this.checkDrift(worker, localReceived, timestamp);
      worker.pushHeartbeat(localReceived);
    }
  }

  private taskEvent(subject: string, event: CeleryEvent, position: number): void {
    const uuid = event.uuid as string;
    const hostname = event.hostname as string;
    const timestamp = event.timestamp;
    let task = this.tasks.get(uuid);
    if (task === undefined) {
      task = new TaskRecord(uuid);
      this.insertTask(task);
    }
    if (subject === 'sent') {
      task.client = hostname;
    } else {
      let worker = this.workers.get(hostname);
      if (worker === undefined) {
        worker = new WorkerRecord(hostname); // freq 60: a worker seen only through task events
        this.insertWorker(worker);
      }
      task.worker = worker;
      // Celery swaps the arguments here: the *sender's* timestamp becomes the heartbeat.
      const localReceived = event.local_received;
      if (localReceived && timestamp) {
        this.checkDrift(worker, timestamp, localReceived);
        worker.pushHeartbeat(timestamp);
        worker.touched = position;
      }
    }
    if (subject === 'received') this.taskCount++;
    task.event(subject, timestamp ?? null, event);
    task.touched = position;
    task.dict = null;

    const parentId = task.parent_id;
    if (parentId) {
      const parent = this.tasks.get(parentId as string);
      if (parent !== undefined) {
        this.tasks.delete(parentId as string); // Celery's tasks[...] lookup bumps the parent's LRU position
        this.tasks.set(parentId as string, parent);
        this.adopt(parent, task, position);
      } else {
        let waiting = this.orphans.get(parentId as string);
        if (waiting === undefined) this.orphans.set(parentId as string, (waiting = new Set()));
        waiting.add(task);
      }
    }
    const waiting = this.orphans.get(uuid);
    if (waiting !== undefined) {
      this.orphans.delete(uuid);
      for (const child of waiting) this.adopt(task, child, position);
    }
  }

  private adopt(parent: TaskRecord, child: TaskRecord, position: number): void {
    const children = (parent.children ??= new Set());
    if (children.has(child)) return;
    children.add(child);
    parent.touched = position;
    parent.dict = null;
  }

  private insertTask(task: TaskRecord): void {
    const limit = this.limits.maxTasksInMemory;
    if (limit && this.tasks.size >= limit) {
      const oldest = this.tasks.values().next().value as TaskRecord;
      this.tasks.delete(oldest.uuid);
      this.forget(oldest);
    }
    this.tasks.set(task.uuid, task);
  }

  private insertWorker(worker: WorkerRecord): void {
    const limit = this.limits.maxWorkersInMemory;
    if (limit && this.workers.size >= limit) {
      this.workers.delete(this.workers.keys().next().value as string);
    }
    this.workers.set(worker.hostname, worker);
  }

  /** An evicted task leaves its parent's children and the orphan index (Celery: when GC'd). */
  private forget(task: TaskRecord): void {
    const parentId = task.parent_id as string | null;
    if (!parentId) return;
    const parent = this.tasks.get(parentId);
    if (parent?.children?.delete(task)) parent.dict = null;
    const waiting = this.orphans.get(parentId);
    if (waiting?.delete(task) && waiting.size === 0) this.orphans.delete(parentId);
  }

  private checkDrift(worker: WorkerRecord, localReceived: number, timestamp: number): void {
    const drift = Math.abs(Math.trunc(localReceived) - Math.trunc(timestamp));
    if (drift > HEARTBEAT_DRIFT_MAX && !this.driftWarned.has(worker.hostname) && this.driftWarned.size < 1000) {
      this.driftWarned.add(worker.hostname);
      this.logger?.warn({ hostname: worker.hostname, driftSecs: drift, localReceived, timestamp },
        'Substantial drift from this worker may mean clocks are out of sync (or events are queued); check NTP on the worker');
    }
  }

  /** Celery's State.clear(ready): workers emptied, ready tasks (or all) dropped, counters zeroed. */
  clear(ready = true): void {
    this.workers.clear();
    this.clearTasks(ready);
    this.eventCount = 0;
    this.taskCount = 0;
  }

  /** Celery's State.clear_tasks(ready): ready=true drops finished tasks and keeps the rest in order. */
  clearTasks(ready = true): void {
    if (!ready) {
      this.tasks.clear();
      this.orphans.clear();
      return;
    }
    for (const [uuid, task] of this.tasks) {
      if (READY_STATES.has(task.state as string)) {
        this.tasks.delete(uuid);
        this.forget(task);
      }
    }
  }

  /** Celery's Task.as_dict() with worker as hostname and children sorted and still in State. */
  taskDict(task: TaskRecord): TaskSnapshot {
    if (task.dict !== null) return task.dict;
    let children: string[] = [];
    if (task.children !== null && task.children.size > 0) {
      for (const child of task.children) {
        if (this.tasks.get(child.uuid) === child) children.push(child.uuid);
      }
      children = children.sort();
    }
    const dict = {
      uuid: task.uuid, name: task.name, state: task.state, received: task.received, sent: task.sent,
      started: task.started, rejected: task.rejected, succeeded: task.succeeded, failed: task.failed,
      retried: task.retried, revoked: task.revoked, args: task.args, kwargs: task.kwargs, eta: task.eta,
      expires: task.expires, retries: task.retries, worker: task.worker === null ? null : task.worker.hostname,
      result: task.result, exception: task.exception, timestamp: task.timestamp, runtime: task.runtime,
      traceback: task.traceback, exchange: task.exchange, routing_key: task.routing_key, clock: task.clock,
      client: task.client, root: task.root_id, root_id: task.root_id, parent: task.parent_id,
      parent_id: task.parent_id, children,
    } as TaskSnapshot;
    task.dict = dict;
    return dict;
  }

  /**
   * A consistent cut of the State as a snapshot document. Unchanged tasks reuse
   * their cached dicts, so a shutter costs O(tasks) pointer copies, not rebuilds.
   */
  snapshot(since: number, seq: number, now: number): TakenSnapshot {
    const tasks: Record<string, TaskSnapshot> = {};
    const changedTasks: string[] = [];
    for (const [uuid, task] of this.tasks) {
      tasks[uuid] = this.taskDict(task);
      if (task.touched > since) changedTasks.push(uuid);
    }
    const workers: Record<string, WorkerSnapshot> = {};
    const changedWorkers: string[] = [];
    for (const [hostname, worker] of this.workers) {
      workers[hostname] = worker.toSnapshot(now);
      if (worker.touched > since) changedWorkers.push(hostname);
    }
    const snapshot: Snapshot = {
      schema: SNAPSHOT_SCHEMA, seq, taken_at: now, event_count: this.eventCount, task_count: this.taskCount,
      workers, tasks, changed: { workers: changedWorkers, tasks: changedTasks },
    };
    return { snapshot, cut: this.position };
  }

  /** The State as a checkpoint carries it (checkpoint/state-codec.ts). */
  save(): SavedState {
    return saveState(this);
  }

  /** Refill this empty State from a checkpoint, within this State's limits. */
  restore(saved: SavedState): void {
    restoreState(this, saved, this.limits);
  }
}
