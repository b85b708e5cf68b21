// The SQL cameras' bench (issue 16): one shutter of 10k changed tasks (PostgreSQL and SQLite),
// and each documented query on a 1M-row tasks table. Prints one JSON line.
// Args: --runs N (shutter repetitions, 7), --rows N (query table size, 1000000).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PostgresCamera, optionsSchema as pgOptions } from '@evcam/camera-postgres';
import { SqliteCamera, optionsSchema as liteOptions } from '@evcam/camera-sqlite';
import { documentedQueries, queryArgs } from '@evcam/history-schema';
import Database from 'better-sqlite3';
import pg from 'pg';
import { summarize } from './lib/stats.mjs';

const { values: argv } = parseArgs({ options: {
  runs: { type: 'string', default: '7' }, rows: { type: 'string', default: '1000000' },
  only: { type: 'string', default: 'postgres,sqlite' }, keep: { type: 'string' },
} });
const ONLY = new Set(argv.only.split(','));
const RUNS = Number(argv.runs);
const ROWS = Number(argv.rows);
const PG_URL = process.env.EVCAM_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (msg) => process.stderr.write(`[bench sql] ${msg}\n`);
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child() { return silent; } };
const host = { timer: { callLater: () => () => {}, callRepeatedly: () => () => {} }, clock: { now: () => Date.now() / 1000 }, takeSnapshot() { throw new Error('unused'); }, hold: () => () => {} };
const ctx = () => ({ signal: new AbortController().signal, attempt: 1 });

const NOW = Math.floor(Date.now() / 1000);
const DAYS = 30;
const NAMES = Array.from({ length: 20 }, (_, i) => `proj.tasks.job_${i}`);
const WORKERS = Array.from({ length: 50 }, (_, i) => `celery@worker-${i}`);

/** Task i of a month of history: 1M over 30 days, 86 % SUCCESS, 10 % FAILURE, 0.1 % STARTED; families of 5 under a root. */
function task(i, at = NOW - (i / ROWS) * DAYS * 86400) {
  const roll = i % 1000;
  const state = roll < 100 ? 'FAILURE' : roll === 100 ? 'STARTED' : roll < 140 ? 'RETRY' : 'SUCCESS';
  const uuid = `b3e0c1a2-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const root = `b3e0c1a2-0000-4000-8000-${String(i - (i % 5)).padStart(12, '0')}`;
  const runtime = 0.01 + ((i * 7919) % 1000) / 200;
  return {
    uuid, name: NAMES[i % NAMES.length], state,
    received: at, sent: at - 0.01, started: at + 0.001, rejected: null,
    succeeded: state === 'SUCCESS' ? at + runtime : null, failed: state === 'FAILURE' ? at + runtime : null,
    retried: state === 'RETRY' ? at + runtime : null, revoked: null,
    args: `(${i}, 'order-${i % 9973}', ${i % 17 === 0 ? "'needle'" : "'hay'"})`, kwargs: `{'user_id': ${i % 50021}, 'priority': ${i % 3}}`,
    eta: null, expires: null, retries: state === 'RETRY' ? 1 : 0, worker: WORKERS[i % WORKERS.length],
    result: state === 'SUCCESS' ? `{'ok': True, 'n': ${i}}` : null, exception: state === 'FAILURE' ? "ValueError('bad order')" : null,
    timestamp: at + runtime, runtime: state === 'SUCCESS' ? runtime : null,
    traceback: state === 'FAILURE' ? 'Traceback (most recent call last):\n  File "tasks.py", line 12, in job\nValueError: bad order\n' : null,
    exchange: '', routing_key: 'celery', clock: i, client: null, root: root, root_id: root,
    parent: i % 5 === 0 ? null : root, parent_id: i % 5 === 0 ? null : root, children: [],
  };
}

function snapshot(seq, from, count, mutate = (t) => t) {
  const tasks = {};
  for (let i = from; i < from + count; i++) { const t = mutate(task(i)); tasks[t.uuid] = t; }
  const workers = { 'celery@bench': { hostname: 'celery@bench', pid: 1, freq: 2, heartbeats: [NOW], clock: 1, active: 0, processed: 0, loadavg: [0, 0, 0], sw_ident: 'py-celery', sw_ver: '5.2.6', sw_sys: 'Linux', alive: true } };
  return { schema: 'evcam.snapshot/1', seq, taken_at: NOW, event_count: count * 4, task_count: count, tasks, workers,
    changed: { tasks: Object.keys(tasks), workers: ['celery@bench'] } };
}

/** CPU seconds a process has used (utime + stime from /proc, 10 ms ticks); 0 where /proc is absent. */
function procCpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * 10k changed tasks per shutter: the first two insert, the next ones update every row (state
 * changes). Wall time is the target; CPU time (this process, its SQLite thread, the PostgreSQL
 * backend) is printed beside it because the bench machine is shared.
 */
async function shutterCost(camera, serverPid) {
  const ms = [];
  const cpu = [];
  for (let run = 0; run < RUNS; run++) {
    const snap = snapshot(run + 1, run < 2 ? run * 10_000 : 0, 10_000, run < 2 ? undefined : (t) => ({ ...t, state: 'SUCCESS', clock: t.clock + run }));
    const c0 = process.cpuUsage();
    const s0 = serverPid ? procCpuMs(serverPid) : 0;
    const t0 = performance.now();
    await camera.onShutter(snap, ctx());
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 + (serverPid ? procCpuMs(serverPid) - s0 : 0));
  }
  return { ms: summarize(ms.slice(1)), cpuMs: summarize(cpu.slice(1)), first: ms[0], runs: ms };
}

async function fill(camera, what) {
  const t0 = performance.now();
  for (let from = 0, seq = 1000; from < ROWS; from += 50_000) await camera.onShutter(snapshot(seq++, from, Math.min(50_000, ROWS - from)), ctx());
  log(`${what}: ${ROWS} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const QUERY_VALUES = {
  failedLastHour: { since: NOW - 3600 },
  p95RuntimeByName: { since: NOW - 86400 },
  startedTooLong: { startedBefore: NOW - 600 },
  workerTasks: { hostname: WORKERS[7], limit: 100 },
  taskFamily: { uuid: `b3e0c1a2-0000-4000-8000-${String(123_457).padStart(12, '0')}` },
  textSearch: { since: NOW - 86400, text: 'NEEDLE', limit: 100 },
};

async function timeQueries(run) {
  const out = {};
  for (const id of Object.keys(QUERY_VALUES)) {
    const ms = [];
    let rows = 0;
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      rows = (await run(id)).length;
      ms.push(performance.now() - t0);
    }
    // The first run warms caches; the median of the rest is what an operator sees.
    out[id] = { ms: summarize(ms.slice(1)), rows };
  }
  return out;
}

async function postgres() {
  const schema = `evcam_bench_${process.pid}`;
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  const since = new Date();
  // One connection, so its backend's CPU is the shutter's server side.
  const camera = new PostgresCamera({ name: 'postgres', options: pgOptions.parse({ url: PG_URL, schema, poolSize: 1 }), logger: silent, host });
  try {
    await camera.onInstall();
    const backends = await admin.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'evcam' AND backend_start >= $1 ORDER BY backend_start DESC", [since]);
    log('postgres: 10k-task shutters');
    const shutter = await shutterCost(camera, backends.rows.length === 1 ? backends.rows[0].pid : undefined);
    await fill(camera, 'postgres');
    await admin.query(`VACUUM ANALYZE "${schema}".tasks`);
    const queries = documentedQueries('postgres', schema);
    const q = await timeQueries((id) => admin.query(queries[id].sql, queryArgs('postgres', queries[id], QUERY_VALUES[id])).then((r) => r.rows));
    return { shutter, queries: q };
  } finally {
    await camera.onClose();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

async function sqlite() {
  const dir = argv.keep ?? mkdtempSync(join(tmpdir(), 'evcam-bench-sqlite-'));
  const camera = new SqliteCamera({ name: 'sqlite', options: liteOptions.parse({ file: join(dir, 'evcam.db') }), logger: silent, host, configDir: dir });
  try {
    await camera.onInstall();
    log('sqlite: 10k-task shutters');
    const shutter = await shutterCost(camera);
    await fill(camera, 'sqlite');
    await camera.onClose();
    const db = new Database(join(dir, 'evcam.db'));
    db.exec('ANALYZE');
    const queries = documentedQueries('sqlite');
    const prepared = Object.fromEntries(Object.keys(QUERY_VALUES).map((id) => [id, db.prepare(queries[id].sql)]));
    const q = await timeQueries(async (id) => prepared[id].all(queryArgs('sqlite', queries[id], QUERY_VALUES[id])));
    db.close();
    return { shutter, queries: q };
  } finally {
    if (!argv.keep) rmSync(dir, { recursive: true, force: true });
  }
}

const result = { rows: ROWS, postgres: ONLY.has('postgres') ? await postgres() : undefined, sqlite: ONLY.has('sqlite') ? await sqlite() : undefined };
process.stdout.write(`${JSON.stringify(result)}\n`);
