import { READY_STATES, SNAPSHOT_SCHEMA, type Logger, type Snapshot, type TaskSnapshot, type TakenSnapshot, type WorkerSnapshot } from '@evcam/camera-api';
import { restoreState, savedChangesJson, savedStateJson, saveState, type SavedState, type StateMark } from '../checkpoint/state-codec.js';
import type { State } from '../container/services.js';
import { CutOverlay, cutView } from './cut.js';
import { TaskRecord, WorkerRecord, type CeleryEvent } from './records.js';
import { Tombstones } from './tombstones.js';
import { TouchList } from './touch-list.js';

export interface StateLimits {
  /** Celery's max_tasks_in_memory (default 10000; 0 = unbounded). */
  maxTasksInMemory: number;
  /** Celery's max_workers_in_memory (default 5000; 0 = unbounded). */
  maxWorkersInMemory: number;
  /**
   * Seconds (snapshot clock) a cut stays a valid `since`: `removed` is exact for a
   * camera that takes a snapshot at least this often. Ids that left earlier are forgotten.
   */
  removedRetention: number;
}

export const DEFAULT_STATE_LIMITS: StateLimits = { maxTasksInMemory: 10000, maxWorkersInMemory: 5000, removedRetention: 3600 };

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
  /** Version of the State: one step per folded event and per clear; cuts and `touched` marks are versions. */
  private version = 0;
  private lruClock = 0;
  private readonly touchList = new TouchList();
  private readonly goneTasks = new Tombstones();
  private readonly goneWorkers = new Tombstones();
  /** Snapshots still open (copy-on-write overlays); usually none or one per camera. */
  private open: CutOverlay[] = [];
  /** Newest version an open snapshot was cut at: a task touched after it is kept by every overlay already. */
  private newestOpen = -1;
  /** Cuts and `since`s seen lately (snapshots taken without a reader), with the clock they were last seen at. */
  private readonly recentCuts = new Map<number, number>();
  /** Per reader (a camera's shutter engine): the `since` it last asked from and when. Its next one is that or newer. */
  private readonly readers = new Map<object, { since: number; seen: number }>();
  private readonly limits: StateLimits;
  /** Celery's _tasks_to_resolve: children seen before their parent. */
  private readonly orphans = new Map<string, Set<TaskRecord>>();
  /** Version the orphan index last changed at (a checkpoint journal entry carries it only then). */
  private orphansChanged = 0;
  private readonly typeSplit = new Map<string, [group: string, subject: string]>();
  private readonly driftWarned = new Set<string>();

  constructor(limits: Partial<StateLimits> = {}, private readonly logger?: Logger) {
    this.limits = { ...DEFAULT_STATE_LIMITS, ...limits };
  }

  /** Celery's State.event(): fold one receiver-adjusted event. */
  event(event: CeleryEvent): void {
    if (this.touchList.size !== this.tasks.size) this.reindex();
    this.eventCount++;
    this.position++;
    const position = ++this.version;
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
      this.insertTask(task, position);
    } else if (this.open.length !== 0) {
      this.keep(task);
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
    this.touch(task, position);

    const parentId = task.parent_id;
    if (parentId) {
      const parent = this.tasks.get(parentId as string);
      if (parent !== undefined) {
        if (this.open.length !== 0) this.keep(parent);
        this.tasks.delete(parentId as string); // Celery's tasks[...] lookup bumps the parent's LRU position
        this.tasks.set(parentId as string, parent);
        parent.lru = ++this.lruClock;
        this.adopt(parent, task, position);
      } else {
        let waiting = this.orphans.get(parentId as string);
        if (waiting === undefined) this.orphans.set(parentId as string, (waiting = new Set()));
        if (!waiting.has(task)) {
          waiting.add(task);
          this.orphansChanged = position;
        }
      }
    }
    const waiting = this.orphans.get(uuid);
    if (waiting !== undefined) {
      this.orphans.delete(uuid);
      this.orphansChanged = position;
      for (const child of waiting) this.adopt(task, child, position);
    }
  }

  private adopt(parent: TaskRecord, child: TaskRecord, position: number): void {
    const children = (parent.children ??= new Set());
    if (children.has(child)) return;
    if (this.open.length !== 0) this.keep(parent);
    children.add(child);
    this.touch(parent, position);
  }

  /** `task` changed at `version`: its cached dict goes and it moves to the tail of the touch list. */
  private touch(task: TaskRecord, version: number): void {
    task.touched = version;
    task.dict = null;
    this.touchList.touch(task);
  }

  /** Copy-on-write: before `task` changes, every open snapshot that still sees it as it is keeps it. */
  private keep(task: TaskRecord): void {
    if (task.touched > this.newestOpen) return; // changed after every open cut: kept already
    for (const overlay of this.open) overlay.keep(task, this);
  }

  private insertTask(task: TaskRecord, version: number): void {
    const limit = this.limits.maxTasksInMemory;
    if (limit && this.tasks.size >= limit) {
      this.dropTask(this.tasks.values().next().value as TaskRecord, version);
    }
    if (this.open.length !== 0) for (const overlay of this.open) overlay.keepAbsent(task.uuid);
    this.tasks.set(task.uuid, task);
    task.lru = ++this.lruClock;
    task.born = version;
  }

  /** A task leaves the State (LRU eviction or clear) at `version`. */
  private dropTask(task: TaskRecord, version: number): void {
    if (this.open.length !== 0) {
      this.keep(task);
      const parent = task.parent_id ? this.tasks.get(task.parent_id as string) : undefined;
      if (parent !== undefined) this.keep(parent);
    }
    this.tasks.delete(task.uuid);
    this.touchList.remove(task);
    this.goneTasks.add(task.uuid, version, task.born);
    this.forget(task, version);
  }

  private insertWorker(worker: WorkerRecord): void {
    const limit = this.limits.maxWorkersInMemory;
    if (limit && this.workers.size >= limit) {
      const oldest = this.workers.values().next().value as WorkerRecord;
      this.workers.delete(oldest.hostname);
      this.goneWorkers.add(oldest.hostname, this.version, oldest.born);
    }
    worker.born = this.version;
    this.workers.set(worker.hostname, worker);
  }

  /**
   * An evicted task leaves its parent's children and the orphan index (Celery: when GC'd).
   * The parent's dict lists one child fewer, so the parent counts as changed.
   */
  private forget(task: TaskRecord, version: number): void {
    const parentId = task.parent_id as string | null;
    if (!parentId) return;
    const parent = this.tasks.get(parentId);
    if (parent?.children?.delete(task)) this.touch(parent, version);
    const waiting = this.orphans.get(parentId);
    if (waiting?.delete(task)) {
      this.orphansChanged = version;
      if (waiting.size === 0) this.orphans.delete(parentId);
    }
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
    const version = ++this.version;
    for (const worker of this.workers.values()) this.goneWorkers.add(worker.hostname, version, worker.born);
    this.workers.clear();
    this.clearTasks(ready, version);
    this.eventCount = 0;
    this.taskCount = 0;
  }

  /** Celery's State.clear_tasks(ready): ready=true drops finished tasks and keeps the rest in order. */
  clearTasks(ready = true, version = ++this.version): void {
    if (this.touchList.size !== this.tasks.size) this.reindex();
    if (!ready) {
      for (const task of this.tasks.values()) {
        if (this.open.length !== 0) this.keep(task);
        this.goneTasks.add(task.uuid, version, task.born);
      }
      this.tasks.clear();
      this.touchList.clear();
      this.orphans.clear();
      this.orphansChanged = version;
      return;
    }
    for (const task of [...this.tasks.values()]) {
      if (READY_STATES.has(task.state as string)) this.dropTask(task, version);
    }
  }

  /**
   * Records put into the tasks map from outside (a checkpoint restore) join the
   * touch list in `touched` order and get LRU stamps; versions continue above theirs.
   */
  private reindex(): void {
    const unlinked = [...this.tasks.values()].filter((t) => !t.linked).sort((a, b) => a.touched - b.touched);
    for (const task of unlinked) this.touchList.touch(task);
    for (const task of this.tasks.values()) {
      task.lru = ++this.lruClock;
      if (task.touched > this.version) this.version = task.touched;
    }
    for (const worker of this.workers.values()) if (worker.touched > this.version) this.version = worker.touched;
    if (this.position > this.version) this.version = this.position;
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
   * A consistent cut of the State as a snapshot document, in O(changed + workers):
   * `changed` is a walk back along the touch list, `removed` the tombstones after
   * `since`, and `tasks` a lazy view of the cut (copy-on-write overlay, see
   * docs/architecture.md) that builds the full map only for a camera that lists it.
   * Call the returned release() once the snapshot is no longer read.
   */
  snapshot(since: number, seq: number, now: number, reader?: object): TakenSnapshot {
    if (this.touchList.size !== this.tasks.size) this.reindex();
    const cut = this.version;
    this.noteCut(since, cut, now, reader);
    const workers: Record<string, WorkerSnapshot> = {};
    const changedWorkers: string[] = [];
    for (const [hostname, worker] of this.workers) {
      workers[hostname] = worker.toSnapshot(now);
      if (worker.touched > since) changedWorkers.push(hostname);
    }
    const removed = {
      workers: this.goneWorkers.since(since, (hostname) => this.workers.has(hostname)),
      tasks: this.goneTasks.since(since, (uuid) => this.tasks.has(uuid)),
    };
    this.open = this.open.filter((o) => o.live);
    const overlay = new CutOverlay(cut, this.lruClock);
    const tasks: Record<string, TaskSnapshot> = cutView(overlay, this);
    this.open.push(overlay);
    this.newestOpen = cut;
    const snapshot: Snapshot = {
      schema: SNAPSHOT_SCHEMA, seq, taken_at: now, event_count: this.eventCount, task_count: this.taskCount,
      workers, tasks, changed: { workers: changedWorkers, tasks: this.changedTasks(since) }, removed,
    };
    return { snapshot, cut, release: () => this.release(overlay) };
  }

  /**
   * Ids of the tasks touched after `since`, in LRU order. When every task was (a camera that
   * stored nothing yet), that is the tasks map's own order: no walk and no sort of the whole State.
   */
  private changedTasks(since: number): string[] {
    return since < this.touchList.oldestTouched ? [...this.tasks.keys()] : this.touchList.changedSince(since);
  }

  /** Tasks held by open snapshots' copy-on-write overlays (for tests and metrics). */
  get keptByOpenSnapshots(): number {
    let n = 0;
    for (const o of this.open) n += o.kept?.size ?? 0;
    return n;
  }

  private release(overlay: CutOverlay): void {
    overlay.release();
    this.open = this.open.filter((o) => o !== overlay && o.live);
    this.newestOpen = this.open.length === 0 ? -1 : Math.max(...this.open.map((o) => o.version));
  }

  /**
   * Remember the `since` asked from and forget the tombstones no reader can still ask
   * for. A known reader's next `since` is the one it asked from now or a newer cut, so
   * its oldest is just that; a snapshot without a reader keeps every cut seen within
   * removedRetention seconds (its next `since` is one of them). Readers silent for
   * removedRetention (a standby, a camera gone) stop holding tombstones.
   */
  private noteCut(since: number, cut: number, now: number, reader?: object): void {
    const recent = this.recentCuts;
    if (reader !== undefined) this.readers.set(reader, { since, seen: now });
    else {
      if (since > 0) recent.set(since, now);
      recent.set(cut, now);
    }
    const horizon = now - this.limits.removedRetention;
    let floor = Infinity;
    for (const [at, seen] of recent) {
      if (seen < horizon) recent.delete(at);
      else if (at < floor) floor = at;
    }
    for (const [key, asked] of this.readers) {
      if (asked.seen < horizon) this.readers.delete(key);
      else if (asked.since < floor) floor = asked.since;
    }
    if (since > 0 && since < floor) floor = since;
    if (floor !== Infinity) {
      this.goneTasks.trim(floor);
      this.goneWorkers.trim(floor);
    }
  }

  /** The State as a checkpoint carries it (checkpoint/state-codec.ts). */
  save(): SavedState {
    return saveState(this);
  }

  /** JSON.stringify(save()) in pieces (one per task). */
  saveJson(): string[] {
    if (this.touchList.size !== this.tasks.size) this.reindex();
    return savedStateJson(this);
  }

  /** Where the State is now, as saveChangesJson takes it: taken with every checkpoint. */
  mark(): StateMark {
    if (this.touchList.size !== this.tasks.size) this.reindex();
    return { version: this.version, lru: this.lruClock };
  }

  /**
   * What changed since `since` as a checkpoint journal entry (JSON pieces), in O(changed):
   * or null when the State cannot tell exactly (the tombstones of that time are trimmed).
   */
  saveChangesJson(since: StateMark): string[] | null {
    if (this.touchList.size !== this.tasks.size) this.reindex();
    if (since.version < this.goneTasks.floor || since.version > this.version || since.lru > this.lruClock) return null;
    const changed = this.touchList.touchedAfter(since.version);
    // A task's event bumps its parent in the LRU without changing it; the task itself is in `changed`.
    const bumped = new Set<TaskRecord>();
    for (const task of changed) {
      const parent = task.parent_id ? this.tasks.get(task.parent_id as string) : undefined;
      if (parent !== undefined && parent.lru > since.lru && parent.touched <= since.version) bumped.add(parent);
    }
    for (const parent of bumped) changed.push(parent);
    // LRU order: tasks changed in place first, then those inserted or bumped since (they sit at the tail).
    changed.sort((a, b) => a.lru - b.lru);
    let moved = 0;
    while (moved < changed.length && changed[changed.length - 1 - moved].lru > since.lru) moved++;
    const removed = this.goneTasks.since(since.version, (uuid) => this.tasks.has(uuid));
    return savedChangesJson(this, changed, moved, removed, this.orphansChanged > since.version);
  }

  /** Refill this empty State from a checkpoint, within this State's limits. */
  restore(saved: SavedState): void {
    restoreState(this, saved, this.limits);
  }
}
