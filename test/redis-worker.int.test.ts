// A real Celery worker on Redis (Debian's python3-celery, kombu's Redis transport, DB 12),
// the kernel with `--broker redis://127.0.0.1:6379/12`: the file camera shows the worker
// and its tasks; then both lose Redis for a while (a TCP proxy this test controls cuts them
// off: the shared Redis is never stopped), and tasks sent afterwards show up too.
import assert from 'node:assert/strict';
import { waitUntil } from '@evcam/camera-testkit';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CELERY_DIR, PYTHON, celeryClient, waitForLatest } from './helpers/celery.js';
import { startKernel } from './helpers/kernel-process.js';
import { startTcpProxy } from '@evcam/camera-testkit';

const DB = 12;
const BROKER = `redis://127.0.0.1:6379/${DB}`;
const viaProxy = (port: number): string => `redis://127.0.0.1:${port}/${DB}`;
const WORKER = `redisw@${hostname()}`;


/** `celery -A tasks worker -E --pool=solo` on Redis; SIGTERM is its warm shutdown. */
function startRedisWorker(broker: string) {
  const child = spawn(PYTHON, ['-m', 'celery', '-A', 'tasks', 'worker', '-E', '--pool=solo', '-n', 'redisw@%h', '-l', 'warning'], {
    cwd: CELERY_DIR, env: { ...process.env, EVCAM_TEST_BROKER: broker, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    output: () => out,
    async stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const send = async (ops: Parameters<typeof celeryClient>[1]): Promise<string[]> => (await celeryClient(BROKER, ops)) as string[];
const done = (state: string | undefined): boolean => state === 'SUCCESS' || state === 'FAILURE';

describe('real Celery worker on Redis', () => {
  test('tasks show up SUCCESS/FAILURE in the snapshots, also after a Redis outage mid-stream', async () => {
    const proxy = await startTcpProxy(6379);
    const dir = mkdtempSync(join(tmpdir(), 'evcam-redis-worker-'));
    const kernel = startKernel(['--broker', viaProxy(proxy.port), '--camera', 'file', '--camera-option', `dir=${dir}`, '-F', '0.3', '-l', 'info']);
    let worker = startRedisWorker(viaProxy(proxy.port));
    try {
      await kernel.waitFor('consuming Celery events');
      await waitForLatest(dir, (s) => s.workers[WORKER]?.alive === true, `${WORKER} online`, 60_000);

      const before = await send([
        { op: 'send', name: 'tasks.add', args: [2, 3] },
        { op: 'send', name: 'tasks.fail', kwargs: { msg: 'boom' } },
        { op: 'send', name: 'tasks.progress', kwargs: { n: 2, delay: 0.05 } },
      ]);
      const first = await waitForLatest(dir, (s) => before.every((id) => done(s.tasks[id]?.state)), 'the first tasks to finish', 60_000);
      assert.equal(first.tasks[before[0]].state, 'SUCCESS');
      assert.equal(first.tasks[before[0]].result, '5');
      assert.equal(first.tasks[before[0]].name, 'tasks.add');
      assert.equal(first.tasks[before[0]].worker, WORKER);
      assert.equal(first.tasks[before[1]].state, 'FAILURE');
      // Celery 5.2's solo pool reports the exception as ExceptionWithTraceback(); the traceback names it.
      assert.match(String(first.tasks[before[1]].traceback), /ValueError: boom/);
      assert.equal(first.tasks[before[2]].state, 'SUCCESS');

      proxy.cut();
      await kernel.waitFor('lost the Redis connection', 20_000);
      proxy.restore();
      await kernel.waitFor('after a gap', 60_000);

      // The worker reconnects on its own (Celery's broker_connection_retry); its heartbeats come back.
      const afterGap = Date.now() / 1000;
      await waitForLatest(dir, (s) => (s.workers[WORKER]?.heartbeats ?? []).some((h) => h > afterGap), `${WORKER} heartbeating again`, 90_000);
      // Celery 5.2's Redis consumer does not always resume taking tasks after a connection reset
      // (its event publisher does: the heartbeats above), which is Celery's business, not evcam's:
      // a fresh worker with the same name runs the tasks sent after the outage.
      await worker.stop();
      worker = startRedisWorker(viaProxy(proxy.port));
      const after = await send([
        { op: 'send', name: 'tasks.add', args: [40, 2] },
        { op: 'send', name: 'tasks.fail', kwargs: { msg: 'after restart' } },
      ]);
      const last = await waitForLatest(dir, (s) => after.every((id) => done(s.tasks[id]?.state)), 'the tasks sent after the restart', 90_000);
      assert.equal(last.tasks[after[0]].state, 'SUCCESS');
      assert.equal(last.tasks[after[0]].result, '42');
      assert.equal(last.tasks[after[1]].state, 'FAILURE');
      // The State survived the restart: the first tasks are still there, as they were.
      for (const id of before) assert.equal(last.tasks[id].state, first.tasks[id].state);
    } finally {
      await worker.stop();
      await kernel.stop('SIGKILL');
      await proxy.close();
    }
  });
});
