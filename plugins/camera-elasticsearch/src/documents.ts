import type { Snapshot, TaskSnapshot, WorkerSnapshot } from '@evcam/camera-api';

/**
 * One bulk operation, serialised once: the action line and the source line,
 * joined by "\n" (the request adds the trailing newline).
 */
export interface BulkEntry {
  /** Unique per document: `<index>\u0000<_id>`; the buffer merges on it. */
  key: string;
  index: string;
  id: string;
  ndjson: string;
  bytes: number;
}

/**
 * `index` (full replace), not `update` + doc_as_upsert: the snapshot task is
 * already Celery's merged State, so the newest snapshot is the whole truth. A
 * replace needs no read-modify-write on the shard, is idempotent when a retry
 * repeats it, and leaves a document that equals the snapshot's task.
 */
export function bulkEntry(index: string, id: string, source: string): BulkEntry {
  const ndjson = `{"index":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(id)}}}\n${source}`;
  return { key: `${index}\u0000${id}`, index, id, ndjson, bytes: Buffer.byteLength(ndjson) + 1 };
}

/** Epoch seconds → ISO 8601 for `@timestamp` (Kibana's default time field). */
function iso(epochSeconds: number): string {
  return new Date(Math.round(epochSeconds * 1000)).toISOString();
}

/**
 * The task as-is, plus `@timestamp` (the task's last event time, else the
 * shutter's), `snapshot_seq` and `snapshot_taken_at`. The derived fields are
 * spliced in front of the task's own JSON: one stringify per task.
 */
export function taskSource(task: TaskSnapshot, snapshot: Pick<Snapshot, 'seq' | 'taken_at'>): string {
  const json = JSON.stringify(task);
  const at = iso(task.timestamp ?? snapshot.taken_at);
  return `{"@timestamp":"${at}","snapshot_seq":${snapshot.seq},"snapshot_taken_at":${snapshot.taken_at},${json.slice(1)}`;
}

/** The worker as-is (it carries `alive`), plus `@timestamp`, `last_heartbeat` and `snapshot_seq`. */
export function workerSource(worker: WorkerSnapshot, snapshot: Pick<Snapshot, 'seq' | 'taken_at'>): string {
  const last = worker.heartbeats.length > 0 ? worker.heartbeats[worker.heartbeats.length - 1] : null;
  return JSON.stringify({ ...worker, '@timestamp': iso(snapshot.taken_at), last_heartbeat: last, snapshot_seq: snapshot.seq });
}

/** Tasks by state from a scan of the whole view: O(tasks held). The camera keeps them incrementally (StateCounts). */
export function countTasks(snapshot: Snapshot): TaskCounts {
  const byState: Record<string, number> = {};
  let total = 0;
  for (const uuid in snapshot.tasks) {
    const state = snapshot.tasks[uuid].state;
    byState[state] = (byState[state] ?? 0) + 1;
    total++;
  }
  return { total, byState };
}

export interface TaskCounts { total: number; byState: Record<string, number> }

/**
 * One summary per shutter, for time-series charts: counts by state, workers alive.
 * `counts` defaults to a scan of every task; the camera passes its incremental ones.
 */
export function summarySource(snapshot: Snapshot, counts: TaskCounts = countTasks(snapshot)): string {
  let workers = 0;
  let alive = 0;
  for (const hostname in snapshot.workers) {
    workers++;
    if (snapshot.workers[hostname].alive) alive++;
  }
  return JSON.stringify({
    '@timestamp': iso(snapshot.taken_at),
    seq: snapshot.seq,
    taken_at: snapshot.taken_at,
    event_count: snapshot.event_count,
    task_count: snapshot.task_count,
    tasks_total: counts.total,
    tasks_by_state: counts.byState,
    workers_total: workers,
    workers_alive: alive,
    changed_tasks: snapshot.changed.tasks.length,
    changed_workers: snapshot.changed.workers.length,
  });
}

/** seq restarts with the kernel, so the shutter time makes the id unique (and a retry idempotent). */
export function summaryId(snapshot: Pick<Snapshot, 'seq' | 'taken_at'>): string {
  return `${Math.round(snapshot.taken_at * 1000)}-${snapshot.seq}`;
}
