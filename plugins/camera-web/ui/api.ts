// The JSON API the pages read (documented in the README).

export interface Stats {
  seq: number; takenAt: number; now: number; eventCount: number; taskCount: number; tasksInMemory: number;
  states: Record<string, number>;
  workers: { online: number; offline: number };
  perMinute: { minute: number[]; finished: number[]; failed: number[]; failureRate: (number | null)[] };
  runtimes: { name: string; count: number; p50: number; p95: number; max: number }[];
  names: string[]; queues: string[]; history: boolean;
}

export interface WorkerView {
  hostname: string; alive: boolean; lastHeartbeat: number | null; heartbeatAge: number | null;
  active: number | null; processed: number | null; loadavg: number[] | null; freq: number; pid: number | null;
  sw_ident: string | null; sw_ver: string | null; sw_sys: string | null;
  recent: { uuid: string; name: string | null; state: string | null; timestamp: number | null }[];
}

export interface TaskRow {
  uuid: string; name: string | null; state: string; worker: string | null; queue: string | null;
  received: number | null; started: number | null; timestamp: number | null; runtime: number | null; retries: number | null;
  args: string | null; kwargs: string | null; result: string | null; exception: string | null; source: 'memory' | 'history';
}

export interface TaskPage { tasks: TaskRow[]; next: string | null; matchedInMemory: number; history: boolean }

export interface TaskDetail {
  task: Record<string, unknown> & { uuid: string; name: string | null; state: string; traceback: string | null;
    root_id: string | null; parent_id: string | null; children: string[] };
  source: 'memory' | 'history';
  timeline: { state: string; field: string; at: number }[];
  related: Record<string, { name: string | null; state: string; source: string } | null>;
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  const body = await res.json().catch(() => ({ error: res.statusText })) as T & { error?: string };
  if (!res.ok) throw new ApiError(res.status, body.error ?? res.statusText);
  return body;
}
