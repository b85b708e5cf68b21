// Real Celery workers, one kernel writing both SQL cameras (a config file with `cameras`), and
// `evcam-kernel --camera sqlite` with no config: ./evcam.db in the working directory.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitUntil } from '@evcam/camera-testkit';
import Database from 'better-sqlite3';
import { celeryClient, startWorker, type WorkerRun } from './helpers/celery.js';
import { postgresHistory, sqliteHistory, type HistoryDb } from './helpers/history-db.js';
import { startKernel, type KernelRun } from './helpers/kernel-process.js';
import { createVhost } from './helpers/rabbit.js';

describe('real Celery workers → PostgreSQL and SQLite', () => {
  let vhost: ReturnType<typeof createVhost>;
  let both: KernelRun;
  let plain: KernelRun;
  let worker: WorkerRun;
  let pgDb: HistoryDb;
  let liteDb: HistoryDb;
  let cwd: string;

  before(async () => {
    vhost = createVhost('evcam-sql');
    pgDb = postgresHistory();
    liteDb = sqliteHistory();
    const dir = mkdtempSync(join(tmpdir(), 'evcam-sql-celery-'));
    const config = join(dir, 'evcam.config.json');
    writeFileSync(config, JSON.stringify({ broker: vhost.url, freq: 0.5, cameras: [pgDb.cameraEntry, liteDb.cameraEntry] }));
    both = startKernel(['--config', config, '-l', 'info']);
    cwd = mkdtempSync(join(tmpdir(), 'evcam-sql-npx-'));
    plain = startKernel(['-b', vhost.url, '--camera', 'sqlite', '-F', '0.5', '-l', 'info'], { cwd });
    await both.waitFor('consuming Celery events', 30_000);
    await plain.waitFor('consuming Celery events', 30_000);
    worker = startWorker(vhost.url, 'w1');
  });

  after(async () => {
    await worker?.stop('SIGTERM');
    await both?.stop('SIGTERM');
    await plain?.stop('SIGTERM');
    vhost.remove();
    await pgDb?.drop();
    await liteDb?.drop();
  });

  test('tasks a real worker ran appear in both databases with the same rows', async () => {
    const ids = (await celeryClient(vhost.url, [
      { op: 'send', name: 'tasks.add', args: [2, 3] },
      { op: 'send', name: 'tasks.fail', kwargs: { msg: "boom'; --" } },
      { op: 'chain', links: [{ name: 'tasks.add', args: [1, 2] }, { name: 'tasks.add', args: [10] }] },
    ])) as [string, string, string[]];
    const [add, fail] = ids;
    const done = async (db: HistoryDb): Promise<boolean> => {
      const t = await db.tasks().catch(() => ({} as Awaited<ReturnType<HistoryDb['tasks']>>));
      return t[add]?.state === 'SUCCESS' && t[fail]?.state === 'FAILURE';
    };
    await waitUntil(async () => (await done(pgDb)) && (await done(liteDb)), 'both tasks finished in both databases', { timeoutMs: 60_000, intervalMs: 250 });
    const [pgTasks, liteTasks] = [await pgDb.tasks(), await liteDb.tasks()];
    assert.equal(pgTasks[add]!.result, '5');
    assert.equal(pgTasks[add]!.worker, worker.hostname);
    assert.match(String(pgTasks[fail]!.exception), /boom'; --/);
    assert.match(String(pgTasks[fail]!.traceback), /Traceback/);
    // Both cameras got the same snapshots; once the State is quiet their rows agree.
    await waitUntil(async () => JSON.stringify(sorted(await pgDb.tasks())) === JSON.stringify(sorted(await liteDb.tasks())),
      'the two databases to agree', { timeoutMs: 20_000, intervalMs: 500 });
    const workers = await pgDb.workers();
    assert.equal(workers[worker.hostname]?.alive, true);
    assert.equal(workers[worker.hostname]?.sw_ident, 'py-celery');
  });

  test('`evcam-kernel --camera sqlite` with no config writes a queryable ./evcam.db', async () => {
    await waitUntil(() => {
      try {
        const db = new Database(join(cwd, 'evcam.db'), { readonly: true });
        try {
          return (db.prepare("SELECT count(*) FROM tasks WHERE state IN ('SUCCESS', 'FAILURE')").pluck().get() as number) >= 2;
        } finally {
          db.close();
        }
      } catch {
        return false;
      }
    }, './evcam.db holds the finished tasks', { timeoutMs: 60_000, intervalMs: 250 });
  });
});

const sorted = <T>(record: Record<string, T>): [string, T][] => Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1));
