import type { TaskSnapshot, WorkerSnapshot } from '@evcam/camera-api';
import type { TaskIndex } from './task-index.js';

// The JSON the pages read. Task fields are passed through as the State holds them (text the
// browser renders with textContent); list rows cut long text so a page stays small.

const PREVIEW = 200;
const preview = (v: string | null): string | null => (v === null || v.length <= PREVIEW ? v : `${v.slice(0, PREVIEW)}…`);

export interface TaskRowView {
  uuid: string; name: string | null; state: string; worker: string | null; queue: string | null;
  received: number | null; started: number | null; timestamp: number | null; runtime: number | null; retries: number | null;
  args: string | null; kwargs: string | null; result: string | null; exception: string | null;
  /** Where the row came from: the State in memory, or the history database. */
  source: 'memory' | 'history';
}

export function taskRow(t: TaskSnapshot, source: 'memory' | 'history'): TaskRowView {
  return {
    uuid: t.uuid, name: t.name, state: t.state, worker: t.worker, queue: t.routing_key,
    received: t.received, started: t.started, timestamp: t.timestamp, runtime: t.runtime, retries: t.retries,
    args: preview(t.args), kwargs: preview(t.kwargs), result: preview(t.result), exception: preview(t.exception), source,
  };
}

/** The state each of Celery's per-state time fields records. */
const TIMELINE: readonly [keyof TaskSnapshot, string][] = [
  ['sent', 'PENDING'], ['received', 'RECEIVED'], ['started', 'STARTED'], ['retried', 'RETRY'],
  ['rejected', 'REJECTED'], ['succeeded', 'SUCCESS'], ['failed', 'FAILURE'], ['revoked', 'REVOKED'],
];

/** The states a task went through, with their times, oldest first (Celery keeps the last time of each). */
export function timeline(t: TaskSnapshot): { state: string; field: string; at: number }[] {
  const out: { state: string; field: string; at: number }[] = [];
  for (const [field, state] of TIMELINE) {
    const at = t[field];
    if (typeof at === 'number') out.push({ state, field, at });
  }
  return out.sort((a, b) => a.at - b.at);
}

export interface WorkerView {
  hostname: string; alive: boolean; lastHeartbeat: number | null; heartbeatAge: number | null;
  active: number | null; processed: number | null; loadavg: number[] | null; freq: number; pid: number | null;
  sw_ident: string | null; sw_ver: string | null; sw_sys: string | null;
  recent: { uuid: string; name: string | null; state: string | null; timestamp: number | null }[];
}

export function workerView(w: WorkerSnapshot, index: TaskIndex, now: number): WorkerView {
  const last = w.heartbeats.length > 0 ? w.heartbeats[w.heartbeats.length - 1] : null;
  return {
    hostname: w.hostname, alive: w.alive, lastHeartbeat: last, heartbeatAge: last === null ? null : Math.max(0, now - last),
    active: w.active, processed: w.processed, loadavg: w.loadavg, freq: w.freq, pid: w.pid,
    sw_ident: w.sw_ident, sw_ver: w.sw_ver, sw_sys: w.sw_sys,
    recent: index.recentTasks(w.hostname).map((uuid) => {
      const t = index.tasks.get(uuid);
      return { uuid, name: t?.name ?? null, state: t?.state ?? null, timestamp: t?.timestamp ?? null };
    }),
  };
}

export function workersView(index: TaskIndex, now: number): WorkerView[] {
  return Object.values(index.workers).map((w) => workerView(w, index, now)).sort((a, b) => a.hostname.localeCompare(b.hostname));
}

const sortedCounts = (m: Map<string, number>): Record<string, number> =>
  Object.fromEntries([...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));

export function statsView(index: TaskIndex, now: number, history: boolean) {
  let online = 0;
  for (const w of Object.values(index.workers)) if (w.alive) online++;
  return {
    seq: index.seq,
    takenAt: index.takenAt,
    now,
    eventCount: index.eventCount,
    taskCount: index.taskCount,
    tasksInMemory: index.tasks.size,
    states: sortedCounts(index.stateCounts),
    workers: { online, offline: Object.keys(index.workers).length - online },
    perMinute: index.minutes.series(index.takenAt || now),
    runtimes: index.runtimes.percentiles(),
    names: [...index.names.keys()].sort(),
    queues: [...index.queues.keys()].sort(),
    history,
  };
}
