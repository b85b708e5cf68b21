// Real Celery for end-to-end tests: start/stop workers of test/celery/tasks.py (Debian's
// python3-celery, only as /usr/bin/python3), send tasks through a small Python client,
// and read what the kernel's file camera stored.
import { waitUntil } from '@evcam/camera-testkit';
import { storedState } from './stored.js';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './paths.js';
import type { CapturedMessage } from './rabbit.js';

/** The only Python that can import celery here. */
export const PYTHON = '/usr/bin/python3';
export const CELERY_DIR = join(ROOT, 'test', 'celery');
const CLIENT = join(ROOT, 'test', 'helpers', 'celery_client.py');

export interface WorkerRun {
  /** The worker's nodename as it appears in events (w1@<host>). */
  hostname: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** SIGTERM is Celery's warm shutdown (worker-offline is sent); resolves with the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/**
 * `celery -A tasks worker -E` with the prefork pool, on the given broker URL. `heartbeatSecs`
 * is the worker's `--heartbeat-interval` (Celery's default: 2 s between worker-heartbeat events).
 */
export function startWorker(broker: string, name = 'w1', concurrency = 2, options: { heartbeatSecs?: number } = {}): WorkerRun {
  const heartbeat = options.heartbeatSecs === undefined ? [] : ['--heartbeat-interval', String(options.heartbeatSecs)];
  const child = spawn(PYTHON, ['-m', 'celery', '-A', 'tasks', 'worker', '-E', '-l', 'warning', '--pool=prefork',
    '-c', String(concurrency), '-n', `${name}@%h`, '--without-mingle', ...heartbeat], {
    cwd: CELERY_DIR, env: { ...process.env, EVCAM_TEST_BROKER: broker, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: the pool children go with it if the test has to kill it
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    hostname: `${name}@${hostname()}`,
    child,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export type CeleryOp =
  | { op: 'send'; name: string; args?: unknown[]; kwargs?: Record<string, unknown>; countdown?: number; expires?: number }
  | { op: 'chain'; links: { name: string; args?: unknown[]; kwargs?: Record<string, unknown> }[] }
  | { op: 'revoke'; id: string; terminate?: boolean }
  /** inspect stats; `workers`: answer once that many replied (else after inspect's 2 s timeout). */
  | { op: 'processed'; workers?: number }
  | { op: 'declare_celeryev' };

/** Run Celery client operations (one Python process); returns each operation's result. */
export function celeryClient(broker: string, ops: CeleryOp[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [CLIENT, JSON.stringify(ops)], { cwd: CELERY_DIR, env: { ...process.env, EVCAM_TEST_BROKER: broker }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) { reject(new Error(`celery client failed: ${err.message}\n${stderr}`)); return; }
        resolve(JSON.parse(stdout.trim().split('\n').pop()!) as unknown[]);
      });
  });
}

// --- what the kernel stored -----------------------------------------------------------

export interface SnapshotTask { uuid: string; name: string | null; state: string; [field: string]: unknown }
export interface SnapshotWorker { hostname: string; alive: boolean; heartbeats: number[]; [field: string]: unknown }
export interface Snapshot {
  seq: number; taken_at: number; event_count: number; task_count: number;
  tasks: Record<string, SnapshotTask>; workers: Record<string, SnapshotWorker>;
}

/** The State the file camera has stored (keyframe + deltas), or null before the first shutter. */
export function readLatest(dir: string): Promise<Snapshot | null> {
  return storedState<Snapshot>(dir);
}

/** Poll the file camera's stored State until `check` holds; returns that snapshot. */
export async function waitForLatest(dir: string, check: (s: Snapshot) => boolean, what: string, timeoutMs = 60_000): Promise<Snapshot> {
  let last: Snapshot | null = null;
  await waitUntil(async () => {
    last = (await readLatest(dir)) ?? last;
    return last !== null && check(last);
  }, what, { timeoutMs, intervalMs: 200 }).catch((err: Error) => {
    throw new Error(`${err.message}; last State: ${JSON.stringify(last)?.slice(0, 3000)}`);
  });
  return last!;
}

// --- Celery-shaped events, for exact counts --------------------------------------------

/** A message as a Celery worker publishes it to `celeryev` (JSON, transient, hostname header). */
export function eventMessage(body: Record<string, unknown> | Record<string, unknown>[], routingKey?: string): CapturedMessage {
  const first = Array.isArray(body) ? body[0] : body;
  const key = routingKey ?? (Array.isArray(body) ? 'task.multi' : String(body.type).replace('-', '.'));
  return {
    routing_key: key,
    body: JSON.stringify(body),
    properties: { content_type: 'application/json', content_encoding: 'utf-8', delivery_mode: 1, priority: 0,
      application_headers: { hostname: String(first?.hostname ?? 'w@test') } },
  };
}

/** The four events of one successful task (sent, received, started, succeeded) on `host`. */
export function successfulTask(uuid: string, host: string, at: number): Record<string, unknown>[] {
  const common = { uuid, hostname: host, utcoffset: 0, pid: 4242 };
  return [
    { ...common, type: 'task-sent', name: 'tasks.add', args: '(1, 2)', kwargs: '{}', retries: 0, eta: null, expires: null,
      queue: 'celery', exchange: '', routing_key: 'celery', root_id: uuid, parent_id: null, timestamp: at, clock: 1 },
    { ...common, type: 'task-received', name: 'tasks.add', args: '(1, 2)', kwargs: '{}', retries: 0, eta: null, expires: null,
      root_id: uuid, parent_id: null, timestamp: at + 0.001, clock: 2 },
    { ...common, type: 'task-started', timestamp: at + 0.002, clock: 3 },
    { ...common, type: 'task-succeeded', result: '3', runtime: 0.001, timestamp: at + 0.003, clock: 4 },
  ];
}

// --- the broker, as rabbitmqctl sees it ------------------------------------------------

export interface QueueInfo { name: string; durable: boolean; auto_delete: boolean; exclusive: boolean; arguments: Record<string, unknown>; messages: number; consumers: number }

function rabbitJson<T>(args: string[]): T {
  return JSON.parse(execFileSync('rabbitmqctl', ['-q', ...args, '--formatter', 'json'], { encoding: 'utf8' })) as T;
}

/** Queues of a vhost with their declared properties (rabbitmqctl list_queues). */
export function queueInfo(vhost: string): QueueInfo[] {
  const rows = rabbitJson<(Omit<QueueInfo, 'arguments'> & { arguments: [string, string, unknown][] })[]>(
    ['list_queues', '-p', vhost, 'name', 'durable', 'auto_delete', 'exclusive', 'arguments', 'messages', 'consumers']);
  // rabbitmqctl lists arguments as [name, AMQP type, value]: the value is what Celery compares.
  return rows.map((q) => ({ ...q, arguments: Object.fromEntries(q.arguments.map(([name, , value]) => [name, value])) }));
}

export interface BindingInfo { source_name: string; destination_name: string; destination_kind: string; routing_key: string }

/** Bindings of a vhost, without the default exchange's implicit ones. */
export function bindingInfo(vhost: string): BindingInfo[] {
  return rabbitJson<BindingInfo[]>(['list_bindings', '-p', vhost, 'source_name', 'destination_name', 'destination_kind', 'routing_key'])
    .filter((b) => b.source_name !== '');
}

export interface ExchangeInfo { name: string; type: string; durable: boolean; auto_delete: boolean; internal: boolean; arguments: unknown }

export function exchangeInfo(vhost: string, name: string): ExchangeInfo | undefined {
  return rabbitJson<ExchangeInfo[]>(['list_exchanges', '-p', vhost, 'name', 'type', 'durable', 'auto_delete', 'internal', 'arguments'])
    .find((e) => e.name === name);
}
