// The SQL cameras in this process against the real PostgreSQL and a real SQLite file:
// eviction keeps rows, an outage loses nothing, hostile strings, fencing, retention,
// migrations, and the documented queries answer what the golden says.
import assert from 'node:assert/strict';

import { after, before, describe, test } from 'node:test';
import { ErrorCodes, EvcamError, type Snapshot, type TaskSnapshot } from '@evcam/camera-api';
import {
  deliver, FakeHost, fixtureSnapshot, Harness, readDeliveries, RecordingLogger, sampleTask, sampleWorker, ShutterEngine, startTcpProxy,
  waitUntil, type TcpProxy,
} from '@evcam/camera-testkit';
import {
  migrations, REPLACEMENT_CHARACTER, SCHEMA_VERSION, TASK_COLUMN_NAMES, taskToRow, TextCleaner, type QueryId,
} from '@evcam/history-schema';
import { CeleryState, Ingestor } from 'evcam-kernel';
import { readJson, type Golden } from './helpers/golden.js';
import { HISTORY_DBS, PG_URL, type HistoryDb } from './helpers/history-db.js';
import { runKernel } from './helpers/kernel-process.js';
import { fixture } from './helpers/paths.js';

const CAPTURE = fixture('rabbitmq-5.2.6.jsonl');
const GOLDEN = readJson<Golden>(fixture('rabbitmq-5.2.6.golden.json'));
const GOLDEN_MAX50 = readJson<Golden>(fixture('rabbitmq-5.2.6.max50.golden.json'));
const ctx = () => ({ signal: new AbortController().signal, attempt: 1 });

async function refusal(promise: unknown): Promise<EvcamError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(EvcamError.is(err), `an EvcamError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a refusal');
}

for (const { name, open } of HISTORY_DBS) {
  describe(`${name} history`, () => {
    test('with an LRU limit of 50 tasks, every task ever stored keeps its row; the final ones equal the golden', async () => {
      const db = open();
      try {
        const state = new CeleryState({ maxTasksInMemory: 50, maxWorkersInMemory: 1 });
        const ingestor = new Ingestor(state, new RecordingLogger());
        const deliveries = readDeliveries(CAPTURE);
        const camera = db.camera(new FakeHost());
        await camera.onInstall();
        let since = 0;
        let seq = 0;
        let held = 0;
        const lastStored = new Map<string, TaskSnapshot>();
        for (const d of deliveries) {
          deliver(ingestor, d);
          // A shutter after every delivery: each task is stored before the LRU can evict it.
          const taken = state.snapshot(since, ++seq, d.at);
          held = Object.keys(taken.snapshot.tasks).length;
          for (const uuid of taken.snapshot.changed.tasks) {
            const t = taken.snapshot.tasks[uuid];
            if (t) lastStored.set(uuid, structuredClone(t));
          }
          await camera.onShutter(taken.snapshot, ctx());
          since = taken.cut;
        }
        await camera.onClose();
        const rows = await db.tasks();
        assert.equal(held, 50, 'the State holds 50 tasks at the end');
        assert.deepEqual(Object.keys(rows).sort(), Object.keys(GOLDEN.tasks).sort(), 'every task seen has a row, evicted or not');
        for (const [uuid, expected] of Object.entries(GOLDEN_MAX50.tasks)) assert.deepEqual(rows[uuid], expected, uuid);
        // An evicted task's row is the task as the last snapshot holding it said (Celery re-creates
        // a task evicted too early from its later events, so that is not always the unlimited golden's).
        for (const [uuid, expected] of lastStored) assert.deepEqual(rows[uuid], expected, uuid);
      } finally {
        await db.drop();
      }
    });

    test('hostile strings are stored and read back exactly, or with U+FFFD where the database cannot hold them (counted)', async () => {
      const db = open();
      try {
        const host = new FakeHost();
        const megabyte = 'Traceback (most recent call last):\n' + 'x\'"; DROP TABLE tasks; --\\\n'.repeat(40_000);
        const hostile: TaskSnapshot[] = [
          sampleTask("it's-a-'quoted'-uuid", { name: "tasks.x'); DROP TABLE tasks; --", args: `('a', "b", \`c\`, '\\\\', '%_', $1, ?, @x)` }),
          sampleTask('nul-task', { args: "('\u0000', 'a\u0000b')", kwargs: '{"k": "\u0000"}', result: '\u0000' }),
          sampleTask('surrogates', { args: "('\uD800', '\uDFFF x', '\uD83D\uDE00 ok')", exception: 'lone \uDC00 low' }),
          sampleTask('big', { traceback: megabyte, args: `('${'A'.repeat(1_000_000)}',)`, result: 'é'.repeat(300_000), state: 'FAILURE' }),
          sampleTask('unicode', { args: "('\u202Eright-to-left', 'zero\u200Bwidth', '中文', '\\u0000 literal')", worker: "w'1@lab" }),
        ];
        for (const t of hostile) host.setTask(t);
        host.setWorker(sampleWorker("w'1@lab", { sw_sys: 'Linux\u0000', sw_ident: 'py-\uD800celery' }));
        const camera = db.camera(host);
        await camera.onInstall();
        const taken = host.takeSnapshot(0, 1);
        await camera.onShutter(taken.snapshot, ctx());
        const replaced = camera.stats.replaced;
        await camera.onClose();
        const cleaner = new TextCleaner(db.dialect);
        const rows = await db.tasks();
        for (const t of hostile) {
          const expected = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, typeof v === 'string' ? cleaner.clean(v) : v]));
          assert.deepEqual(rows[cleaner.clean(t.uuid)!], expected, t.uuid);
        }
        const workers = await db.workers();
        assert.equal(workers["w'1@lab"]?.sw_ident, `py-${REPLACEMENT_CHARACTER}celery`);
        assert.equal(workers["w'1@lab"]?.sw_sys, db.dialect === 'postgres' ? `Linux${REPLACEMENT_CHARACTER}` : 'Linux\u0000');
        assert.equal(rows.big!.traceback, megabyte, '1 MB traceback intact');
        // PostgreSQL: 3 values with NUL, 2 with lone surrogates, 2 in the worker; SQLite: the surrogates only.
        const expectedReplaced = db.dialect === 'postgres' ? 7 : 3;
        assert.equal(replaced, expectedReplaced, 'values changed are counted');
        const [shutter] = await db.rows('SELECT replaced FROM shutters ORDER BY seq LIMIT 1');
        assert.equal(Number(shutter!.replaced), expectedReplaced);
      } finally {
        await db.drop();
      }
    });

    test('HA fencing: a shutter from a lower epoch is refused (not retryable) and writes nothing', async () => {
      const db = open();
      try {
        const host = new FakeHost();
        const leader = db.camera(host);
        const old = db.camera(host);
        await leader.onInstall();
        await old.onInstall();
        host.setTask(sampleTask('t1', { state: 'STARTED' }));
        await leader.onShutter({ ...host.takeSnapshot(0, 1).snapshot, epoch: 2 }, ctx());
        host.setTask(sampleTask('t1', { state: 'SUCCESS' }));
        await leader.onShutter({ ...host.takeSnapshot(0, 2).snapshot, epoch: 3 }, ctx());
        host.setTask(sampleTask('t1', { state: 'FAILURE' }));
        const err = await refusal(old.onShutter({ ...host.takeSnapshot(0, 3).snapshot, epoch: 2 }, ctx()));
        assert.equal(err.code, ErrorCodes.HISTORY_FENCED);
        assert.equal(err.retryable, false);
        // Retried, it is refused again without writing.
        assert.equal((await refusal(old.onShutter({ ...host.takeSnapshot(0, 3).snapshot, epoch: 2 }, ctx()))).code, ErrorCodes.HISTORY_FENCED);
        assert.equal((await db.tasks()).t1?.state, 'SUCCESS');
        assert.equal((await db.rows('SELECT seq FROM shutters')).length, 2);
        // The same epoch again (the leader's next shutter) and no epoch (HA off) are written.
        await leader.onShutter({ ...host.takeSnapshot(0, 4).snapshot, epoch: 3 }, ctx());
        assert.equal((await db.tasks()).t1?.state, 'FAILURE');
        const [meta] = await db.rows("SELECT value FROM meta WHERE key = 'epoch'");
        assert.equal(meta!.value, '3');
        assert.deepEqual((await db.rows('SELECT epoch FROM shutters ORDER BY seq')).map((r) => Number(r.epoch)), [2, 3, 3]);
        await leader.onClose();
        await old.onClose();
      } finally {
        await db.drop();
      }
    });

    test('retention per state deletes old rows in batches and keeps the rest', async () => {
      const db = open();
      try {
        const host = new FakeHost();
        const now = Date.now() / 1000;
        const camera = db.camera(host, { retention: { SUCCESS: '1d', FAILURE: '7d', default: '3d' }, retentionBatch: 2 });
        await camera.onInstall();
        let since = 0;
        const at = async (age: number, tasks: TaskSnapshot[]): Promise<void> => {
          host.now = now - age;
          for (const t of tasks) host.setTask(t);
          const taken = host.takeSnapshot(since, 1);
          since = taken.cut;
          await camera.onShutter(taken.snapshot, ctx());
        };
        const many = (prefix: string, n: number, state: string) => Array.from({ length: n }, (_, i) => sampleTask(`${prefix}-${i}`, { state }));
        await at(2 * 86400, [...many('old-success', 5, 'SUCCESS'), ...many('old-failure', 3, 'FAILURE'), ...many('old-started', 4, 'STARTED')]);
        await at(3600, [...many('new-success', 3, 'SUCCESS'), ...many('new-started', 2, 'STARTED')]);
        await at(10 * 86400, many('ancient-failure', 2, 'FAILURE'));
        await camera.onCleanup();
        const left = Object.keys(await db.tasks()).map((u) => u.replace(/-\d+$/, '')).sort();
        const tally = left.reduce<Record<string, number>>((acc, k) => ({ ...acc, [k]: (acc[k] ?? 0) + 1 }), {});
        // STARTED 2 days old stays (default 3 d); SUCCESS 2 days old goes (1 d); FAILURE 2 days stays (7 d), 10 days goes.
        assert.deepEqual(tally, { 'new-started': 2, 'new-success': 3, 'old-failure': 3, 'old-started': 4 });
        assert.equal(camera.stats.deleted, 5 + 2);
        await camera.onClose();
      } finally {
        await db.drop();
      }
    });

    test(`migration from schema version 1 with data: rows kept, version ${SCHEMA_VERSION}, new shutters written`, async () => {
      const db = open();
      try {
        const snapshot = fixtureSnapshot(1);
        await applyVersion1WithData(db, snapshot);
        const host = new FakeHost();
        const camera = db.camera(host);
        await camera.onInstall();
        const [version] = await db.rows("SELECT value FROM meta WHERE key = 'schema_version'");
        assert.equal(version!.value, String(SCHEMA_VERSION));
        assert.deepEqual(await db.tasks(), snapshot.tasks);
        host.setTask(sampleTask(Object.keys(snapshot.tasks)[0]!, { state: 'REVOKED' }));
        await camera.onShutter({ ...host.takeSnapshot(0, 1).snapshot, epoch: 1 }, ctx());
        assert.equal((await db.tasks())[Object.keys(snapshot.tasks)[0]!]?.state, 'REVOKED');
        assert.equal(Object.keys(await db.tasks()).length, Object.keys(snapshot.tasks).length);
        await camera.onClose();
        // A second install is a no-op.
        const again = db.camera(host);
        await again.onInstall();
        await again.onClose();
      } finally {
        await db.drop();
      }
    });

    test(`migration from schema version 2 with data: the rows already there are found by text search (version ${SCHEMA_VERSION})`, async () => {
      const db = open();
      try {
        const snapshot = fixtureSnapshot(1);
        const tasks = Object.values(snapshot.tasks);
        await applyVersion1WithData(db, snapshot, 2);
        const host = new FakeHost();
        const camera = db.camera(host);
        await camera.onInstall();
        const [version] = await db.rows("SELECT value FROM meta WHERE key = 'schema_version'");
        assert.equal(version!.value, String(SCHEMA_VERSION));
        const needle = tasks.find((t) => (t.args?.length ?? 0) >= 4)!.args!.slice(1, 4).toUpperCase();
        const search = async () => (await db.documented('textSearch', { since: 0, text: needle, limit: 1000 })).map((r) => r.uuid);
        const expected = textMatches(tasks, 0, needle.toLowerCase(), 1000);
        assert.ok(expected.length > 0);
        assert.deepEqual(await search(), expected);
        // Written after the migration: the triggers (SQLite) / indexes keep search in step, old text leaves it.
        const first = tasks.find((t) => expected.includes(t.uuid))!;
        host.setTask(sampleTask(first.uuid, { ...first, args: '(nothing to see)', kwargs: '{}' }));
        await camera.onShutter({ ...host.takeSnapshot(0, 1).snapshot, epoch: 1 }, ctx());
        assert.deepEqual(await search(), expected.filter((u) => u !== first.uuid));
        await camera.onClose();
        const again = db.camera(host);
        await again.onInstall();
        await again.onClose();
        assert.deepEqual(await search(), expected.filter((u) => u !== first.uuid));
      } finally {
        await db.drop();
      }
    });

    test('a schema newer than the camera knows is refused with a coded error and left untouched', async () => {
      const db = open();
      try {
        const first = db.camera(new FakeHost());
        await first.onInstall();
        await first.onClose();
        await bumpVersion(db, 99);
        const before = await db.rows("SELECT * FROM meta ORDER BY key");
        const err = await refusal(db.camera(new FakeHost()).onInstall());
        assert.equal(err.code, ErrorCodes.HISTORY_SCHEMA_NEWER);
        assert.equal(err.retryable, false);
        assert.match(err.message, /version 99/);
        assert.deepEqual(await db.rows("SELECT * FROM meta ORDER BY key"), before);
      } finally {
        await db.drop();
      }
    });

    test('an outage (shutters fail) loses nothing: afterwards the table equals the golden', async () => {
      const db = open();
      const outage = await makeOutage(db);
      try {
        const harness = new Harness(CAPTURE, new RecordingLogger());
        const engine = new ShutterEngine(db.camera(harness.host, outage.options), harness.host, { freq: 1, maxBackoff: 1, finalShutterTimeout: 30 });
        const camera = engine;
        await engine.install();
        const n = harness.deliveries.length;
        await harness.foldUntil(Math.floor(n / 3));
        await waitUntil(() => camera.health.stored > 0, 'a first stored shutter', { timeoutMs: 15_000, intervalMs: 20 });
        outage.break();
        await harness.foldUntil(Math.floor((2 * n) / 3));
        // Let event time pass (the capture is dense) so a shutter falls due while the database is away.
        await waitUntil(async () => { await harness.tick(0.5); return camera.health.failures > 0; }, 'a failing shutter', { timeoutMs: 15_000, intervalMs: 20 })
          .catch((err) => { throw new Error(`${err.message}: ${JSON.stringify(camera.health)}`); });
        assert.equal(camera.health.status, 'failing');
        outage.repair();
        await harness.foldUntil(n);
        await engine.cancel();
        const rows = await db.tasks();
        assert.equal(Object.keys(rows).length, Object.keys(GOLDEN.tasks).length);
        for (const [uuid, expected] of Object.entries(GOLDEN.tasks)) assert.deepEqual(rows[uuid], expected, uuid);
        // Liveness is judged at the final shutter, which the outage delayed: compare the rest.
        const workers = await db.workers();
        for (const [hostname, expected] of Object.entries(GOLDEN.workers)) {
          assert.deepEqual({ ...workers[hostname], alive: null }, { ...expected, alive: null }, hostname);
        }
      } finally {
        await outage.close();
        await db.drop();
      }
    });

    test('two kernels replaying into one database at once (fresh: both migrate) both store, and the rows equal the golden', async () => {
      const db = open();
      try {
        const args = ['replay', CAPTURE, ...db.cameraArgs, '-l', 'warn'];
        const [a, b] = await Promise.all([runKernel(args), runKernel(args)]);
        assert.equal(a.code, 0, a.stderr);
        assert.equal(b.code, 0, b.stderr);
        const rows = await db.tasks();
        for (const [uuid, expected] of Object.entries(GOLDEN.tasks)) assert.deepEqual(rows[uuid], expected, uuid);
        assert.equal((await db.rows('SELECT seq FROM shutters')).length, 2);
      } finally {
        await db.drop();
      }
    });
  });
}

describe('the documented queries answer what the golden says, on both databases', () => {
  const dbs = HISTORY_DBS.map((d) => ({ name: d.name, db: d.open() }));
  before(async () => {
    for (const { db } of dbs) {
      const run = await runKernel(['replay', CAPTURE, ...db.cameraArgs, '-l', 'warn']);
      assert.equal(run.code, 0, run.stderr);
    }
  });
  after(async () => { for (const { db } of dbs) await db.drop(); });

  const tasks = Object.values(GOLDEN.tasks) as unknown as TaskSnapshot[];
  const now = GOLDEN.now;
  const cases: { id: QueryId; values: Record<string, unknown>; expected: () => unknown[]; normalise: (r: Record<string, unknown>) => unknown }[] = [
    {
      id: 'failedLastHour', values: { since: now - 3600 },
      expected: () => {
        const by = new Map<string | null, { name: string | null; failures: number; last_failed: number }>();
        for (const t of tasks.filter((t) => t.state === 'FAILURE' && (t.failed ?? 0) >= now - 3600)) {
          const e = by.get(t.name) ?? { name: t.name, failures: 0, last_failed: -Infinity };
          e.failures++;
          e.last_failed = Math.max(e.last_failed, t.failed!);
          by.set(t.name, e);
        }
        return [...by.values()].sort((a, b) => b.failures - a.failures || String(a.name).localeCompare(String(b.name)));
      },
      normalise: (r) => ({ name: r.name, failures: Number(r.failures), last_failed: Number(r.last_failed) }),
    },
    {
      id: 'p95RuntimeByName', values: { since: now - 86400 },
      expected: () => {
        const by = new Map<string | null, number[]>();
        for (const t of tasks.filter((t) => t.state === 'SUCCESS' && (t.succeeded ?? 0) >= now - 86400 && t.runtime !== null)) {
          by.set(t.name, [...(by.get(t.name) ?? []), t.runtime!]);
        }
        return [...by.entries()].sort(([a], [b]) => String(a).localeCompare(String(b))).map(([name, rs]) => {
          rs.sort((x, y) => x - y);
          return { name, tasks: rs.length, p95_runtime: rs[Math.ceil(0.95 * rs.length) - 1] };
        });
      },
      normalise: (r) => ({ name: r.name, tasks: Number(r.tasks), p95_runtime: Number(r.p95_runtime) }),
    },
    {
      id: 'startedTooLong', values: { startedBefore: now - 10 },
      expected: () => tasks.filter((t) => t.state === 'STARTED' && t.started! < now - 10)
        .sort((a, b) => a.started! - b.started! || (a.uuid < b.uuid ? -1 : 1)).map((t) => t.uuid),
      normalise: (r) => r.uuid,
    },
    {
      id: 'workerTasks', values: { hostname: 'w2@lab', limit: 10 },
      expected: () => tasks.filter((t) => t.worker === 'w2@lab')
        .sort((a, b) => b.timestamp! - a.timestamp! || (a.uuid < b.uuid ? 1 : -1)).slice(0, 10).map((t) => t.uuid),
      normalise: (r) => r.uuid,
    },
    {
      id: 'taskFamily', values: { uuid: tasks.find((t) => t.parent_id !== null && t.root_id !== t.parent_id)?.uuid ?? tasks.find((t) => t.parent_id !== null)!.uuid },
      expected: () => {
        const start = tasks.find((t) => t.parent_id !== null && t.root_id !== t.parent_id) ?? tasks.find((t) => t.parent_id !== null)!;
        const root = start.root_id ?? start.uuid;
        return tasks.filter((t) => t.uuid === root || t.root_id === root)
          .sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0) || (a.uuid < b.uuid ? -1 : 1)).map((t) => [t.uuid, t.parent_id]);
      },
      normalise: (r) => [r.uuid, r.parent_id],
    },
    {
      id: 'textSearch', values: { since: now - 86400, text: 'BOOM', limit: 5 },
      expected: () => textMatches(tasks, now - 86400, 'boom', 5),
      normalise: (r) => r.uuid,
    },
  ];
  for (const c of cases) {
    test(`${c.id}`, async () => {
      const expected = c.expected();
      assert.ok(expected.length > 0, `the golden has rows for ${c.id}`);
      for (const { name, db } of dbs) {
        const rows = await db.documented(c.id, c.values);
        assert.deepEqual(rows.map(c.normalise), expected, `${name}: ${c.id}`);
      }
    });
  }
  test('a LIKE wildcard in the search text matches itself only', async () => {
    for (const { name, db } of dbs) {
      assert.deepEqual(await db.documented('textSearch', { since: 0, text: 'b%m', limit: 5 }), [], name);
      assert.deepEqual(await db.documented('textSearch', { since: 0, text: 'b_om', limit: 5 }), [], name);
    }
  });
  test('text search: the index answers as LIKE does, for 1, 2 (no index) and 3+ characters, any case', async () => {
    const texts = ['b', 'bo', 'OOm', 'oOm', "'", '"', '(', 'no such text anywhere'];
    let some = 0;
    for (const text of texts) {
      const expected = textMatches(tasks, 0, text.toLowerCase(), 1000);
      some += expected.length;
      for (const { name, db } of dbs) {
        const rows = await db.documented('textSearch', { since: 0, text, limit: 1000 });
        assert.deepEqual(rows.map((r) => r.uuid), expected, `${name}: ${JSON.stringify(text)}`);
      }
    }
    assert.ok(some > 0);
  });
});

/** What textSearch returns: a case-insensitive substring of args or kwargs, newest first. */
function textMatches(tasks: readonly TaskSnapshot[], since: number, lower: string, limit: number): string[] {
  return tasks.filter((t) => (t.timestamp ?? 0) >= since && [t.args, t.kwargs].some((s) => s?.toLowerCase().includes(lower)))
    .sort((a, b) => b.timestamp! - a.timestamp! || (a.uuid < b.uuid ? -1 : 1)).slice(0, limit).map((t) => t.uuid);
}

/** The database as schema version `version` (1 or 2) left it, holding the snapshot's tasks. */
async function applyVersion1WithData(db: HistoryDb, snapshot: Snapshot, version = 1): Promise<void> {
  const all = db.dialect === 'postgres' ? migrations('postgres', schemaOf(db)) : migrations('sqlite');
  const v1 = { statements: all.filter((m) => m.version <= version).flatMap((m) => m.statements) };
  const rows = Object.values(snapshot.tasks).map((t) => taskToRow(t, { seq: 1, takenAt: snapshot.taken_at }));
  const cols = TASK_COLUMN_NAMES.map((c) => `"${c}"`).join(', ');
  if (db.dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      for (const s of v1.statements) await client.query(s);
      await client.query(`INSERT INTO "${schemaOf(db)}".meta VALUES ('schema_version', $1)`, [String(version)]);
      for (const r of rows) {
        await client.query(`INSERT INTO "${schemaOf(db)}".tasks (${cols}) VALUES (${TASK_COLUMN_NAMES.map((_, i) => `$${i + 1}`).join(', ')})`,
          TASK_COLUMN_NAMES.map((c) => (r as unknown as Record<string, unknown>)[c]));
      }
    } finally {
      await client.end();
    }
  } else {
    const { default: Database } = await import('better-sqlite3');
    const d = new Database(fileOf(db));
    for (const s of v1.statements) d.exec(s);
    d.prepare("INSERT INTO meta VALUES ('schema_version', ?)").run(String(version));
    const insert = d.prepare(`INSERT INTO tasks (${cols}) VALUES (${TASK_COLUMN_NAMES.map(() => '?').join(', ')})`);
    for (const r of rows) insert.run(TASK_COLUMN_NAMES.map((c) => (r as unknown as Record<string, unknown>)[c]) as never);
    d.close();
  }
}

async function bumpVersion(db: HistoryDb, version: number): Promise<void> {
  if (db.dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`UPDATE "${schemaOf(db)}".meta SET value = $1 WHERE key = 'schema_version'`, [String(version)]);
    await client.end();
  } else {
    const { default: Database } = await import('better-sqlite3');
    const d = new Database(fileOf(db));
    d.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(version));
    d.close();
  }
}

const schemaOf = (db: HistoryDb): string => String(db.cameraEntry.options.schema);
const fileOf = (db: HistoryDb): string => String(db.cameraEntry.options.file);

/** PostgreSQL: a TCP proxy the test cuts; SQLite: another connection holding the write lock. */
async function makeOutage(db: HistoryDb): Promise<{ options: Record<string, unknown>; break(): void; repair(): void; close(): Promise<void> }> {
  if (db.dialect === 'postgres') {
    const proxy: TcpProxy = await startTcpProxy(Number(new URL(PG_URL).port || 5432));
    return {
      options: { url: PG_URL.replace(/@[^/]+\//, `@127.0.0.1:${proxy.port}/`), connectTimeout: 1 },
      break: () => proxy.cut(), repair: () => proxy.restore(), close: () => proxy.close(),
    };
  }
  const { default: Database } = await import('better-sqlite3');
  let blocker: InstanceType<typeof Database> | null = null;
  return {
    options: { busyTimeout: '50ms' },
    break() { blocker = new Database(fileOf(db)); blocker.exec('BEGIN IMMEDIATE'); },
    repair() { blocker?.exec('ROLLBACK'); blocker?.close(); blocker = null; },
    close: async () => { blocker?.close(); },
  };
}
