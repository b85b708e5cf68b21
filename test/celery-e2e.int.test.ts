// Real Celery end to end: a Celery 5.2 prefork worker (Debian's python3-celery) runs the
// tasks of test/celery/tasks.py on a private vhost; the kernel consumes `celeryev` and the
// file camera's snapshots must show what Celery's own State would: task states and fields,
// worker online/heartbeats/offline and liveness.
import assert from 'node:assert/strict';
import { waitUntil } from '@evcam/camera-testkit';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  celeryClient, type CeleryOp, startWorker, waitForLatest, type Snapshot, type SnapshotTask, type WorkerRun,
} from './helpers/celery.js';
import { startKernel, type KernelRun } from './helpers/kernel-process.js';
import { createVhost, listQueues } from './helpers/rabbit.js';
import { storedTaskVersions } from './helpers/stored.js';

const READY = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

/** Every state a task went through across all stored shutters (keyframes and deltas), deduplicated in order. */
async function statesSeen(dir: string, uuid: string): Promise<string[]> {
  const seen: string[] = [];
  for (const version of await storedTaskVersions(dir, uuid)) {
    if (seen.at(-1) !== version.state) seen.push(version.state);
  }
  return seen;
}

describe('real Celery worker end to end', () => {
  let vhost: ReturnType<typeof createVhost>;
  let kernel: KernelRun;
  let worker: WorkerRun;
  let dir: string;
  const task = (s: Snapshot, id: string): SnapshotTask => s.tasks[id];

  before(async () => {
    vhost = createVhost('evcam-celery');
    dir = mkdtempSync(join(tmpdir(), 'evcam-celery-'));
    kernel = startKernel(['-b', vhost.url, '--camera', 'file', '--camera-option', `dir=${dir}`, '-F', '0.5', '-l', 'info']);
    await kernel.waitFor('consuming Celery events');
    worker = startWorker(vhost.url, 'w1');
  });

  after(async () => {
    await worker?.stop('SIGTERM');
    await kernel?.stop('SIGKILL');
    vhost.remove();
  });

  test('worker comes online: alive, with Celery\'s fields, heartbeats growing', async () => {
    const online = await waitForLatest(dir, (s) => s.workers[worker.hostname]?.alive === true, `${worker.hostname} alive`, 60_000);
    const w = online.workers[worker.hostname];
    assert.equal(w.sw_ident, 'py-celery');
    assert.match(String(w.sw_ver), /^5\./);
    assert.equal(w.freq, 2.0);
    assert.equal(typeof w.pid, 'number');
    const first = w.heartbeats.at(-1)!;
    // Celery's worker sends a heartbeat every 2 s: two more must arrive and be kept, ascending.
    const later = await waitForLatest(dir, (s) => {
      const hb = s.workers[worker.hostname]?.heartbeats ?? [];
      return hb.filter((h) => h > first).length >= 2;
    }, 'two more heartbeats', 15_000);
    const hb = later.workers[worker.hostname].heartbeats;
    assert.ok(hb.length <= 4, 'Celery keeps at most 4 heartbeats');
    assert.deepEqual([...hb].sort((x, y) => x - y), hb, 'heartbeats ascend');
    assert.equal(later.workers[worker.hostname].alive, true);
  });

  test('success, failure, retry, reject, eta, revoke before start, chains: the states Celery reports', async () => {
    const ops: CeleryOp[] = [
      { op: 'send', name: 'tasks.add', args: [2, 3] },
      { op: 'send', name: 'tasks.fail', kwargs: { msg: 'boom' } },
      { op: 'send', name: 'tasks.flaky', kwargs: { fail_times: 1, countdown: 2 } },
      { op: 'send', name: 'tasks.flaky', kwargs: { fail_times: 3, countdown: 0.5 } },
      { op: 'send', name: 'tasks.rejecting' },
      { op: 'send', name: 'tasks.add', args: [20, 22], countdown: 3 },
      { op: 'send', name: 'tasks.slow', args: [1], countdown: 3 },
      { op: 'chain', links: [{ name: 'tasks.add', args: [1, 2] }, { name: 'tasks.add', args: [10] }, { name: 'tasks.add', args: [100] }] },
      { op: 'send', name: 'tasks.spawn', kwargs: { n: 2, depth: 1 } },
    ];
    const ids = await celeryClient(vhost.url, ops);
    const [add, fail, flakyOk, flakyFail, rejecting, eta, revokeMe, chainIds, spawn] = ids as string[];
    await celeryClient(vhost.url, [{ op: 'revoke', id: revokeMe }]);
    const [c1, c2, c3] = chainIds as unknown as string[];

    const settled = (s: Snapshot): boolean =>
      [add, fail, flakyOk, flakyFail, eta, revokeMe, c1, c2, c3, spawn].every((id) => READY.has(s.tasks[id]?.state))
      && s.tasks[rejecting]?.state === 'STARTED'
      // spawn's children: 2 adds and the first link of its chain, each finished
      && (s.tasks[spawn]?.children as string[] | undefined)?.length === 3
      && (s.tasks[spawn].children as string[]).every((id) => s.tasks[id]?.state === 'SUCCESS');
    const s = await waitForLatest(dir, settled, 'every task settled', 90_000);

    const ok = task(s, add);
    assert.deepEqual({ state: ok.state, name: ok.name, args: ok.args, kwargs: ok.kwargs, result: ok.result, worker: ok.worker, retries: ok.retries },
      { state: 'SUCCESS', name: 'tasks.add', args: '[2, 3]', kwargs: '{}', result: '5', worker: worker.hostname, retries: 0 });
    for (const f of ['sent', 'received', 'started', 'succeeded', 'runtime', 'timestamp']) assert.equal(typeof ok[f], 'number', `add.${f}`);
    assert.ok((ok.received as number) <= (ok.started as number) && (ok.started as number) <= (ok.succeeded as number));

    const failed = task(s, fail);
    assert.equal(failed.state, 'FAILURE');
    assert.equal(failed.exception, "ValueError('boom')");
    assert.match(String(failed.traceback), /ValueError: boom/);
    assert.equal(typeof failed.failed, 'number');

    // Retry: RETRY shows in a snapshot (2 s countdown), then the retried run succeeds.
    const retried = task(s, flakyOk);
    assert.deepEqual({ state: retried.state, result: retried.result, retries: retried.retries }, { state: 'SUCCESS', result: "'ok after 1 retries'", retries: 1 });
    assert.equal(typeof retried.retried, 'number');
    const path = (await statesSeen(dir, flakyOk));
    assert.ok(path.indexOf('RETRY') >= 0 && path.indexOf('RETRY') < path.indexOf('SUCCESS'), `RETRY before SUCCESS: ${path.join(' > ')}`);
    // More failures than max_retries (2): the last attempt raises the original exception.
    const exhausted = task(s, flakyFail);
    assert.equal(exhausted.state, 'FAILURE');
    assert.match(String(exhausted.exception), /RuntimeError\('flaky attempt 2'\)/);
    assert.equal(exhausted.retries, 2);

    // Reject: Celery's State keeps STARTED (REJECTED ranks below it). Celery 5.2 sends
    // task-rejected only if the early ack has not happened yet (Request.reject checks
    // `acknowledged`), a race inside the worker: when it comes, `rejected` follows `started`.
    const rejected = task(s, rejecting);
    assert.deepEqual({ state: rejected.state, succeeded: rejected.succeeded, failed: rejected.failed },
      { state: 'STARTED', succeeded: null, failed: null });
    assert.ok(rejected.rejected === null || (rejected.rejected as number) >= (rejected.started as number), String(rejected.rejected));

    // ETA: received with its eta, started only once the eta has passed.
    const later = task(s, eta);
    assert.equal(later.state, 'SUCCESS');
    assert.equal(later.result, '42');
    assert.equal(typeof later.eta, 'string');
    assert.ok((later.started as number) >= Date.parse(String(later.eta)) / 1000 - 0.05, `started ${later.started} after eta ${later.eta}`);
    assert.ok((await statesSeen(dir, eta)).includes('RECEIVED'), 'an ETA task waits as RECEIVED');

    // Revoked before it started: never STARTED.
    const revoked = task(s, revokeMe);
    assert.equal(revoked.state, 'REVOKED');
    assert.equal(revoked.started, null);
    assert.equal(typeof revoked.revoked, 'number');

    // Client chain a | b | c: each link's parent is the previous one, the root is the first.
    assert.deepEqual([c1, c2, c3].map((id) => task(s, id).result), ['3', '13', '113']);
    assert.deepEqual([c1, c2, c3].map((id) => [task(s, id).parent_id, task(s, id).root_id]), [[null, c1], [c1, c1], [c2, c1]]);
    assert.deepEqual(task(s, c1).children, [c2]);
    assert.deepEqual(task(s, c2).children, [c3]);

    // Tasks sent from inside a task: children with parent/root ids.
    const parent = task(s, spawn);
    assert.equal(parent.result, '2');
    for (const child of parent.children as string[]) {
      assert.equal(task(s, child).parent_id, spawn);
      assert.equal(task(s, child).root_id, spawn);
      assert.equal(task(s, child).name, 'tasks.add');
    }
    assert.deepEqual(parent.children, [...(parent.children as string[])].sort(), 'children sorted');
  });

  test('revoke(terminate=True) of a running task: REVOKED', async () => {
    const [slow] = await celeryClient(vhost.url, [{ op: 'send', name: 'tasks.slow', args: [60] }]) as string[];
    await waitForLatest(dir, (s) => s.tasks[slow]?.state === 'STARTED', 'tasks.slow STARTED', 30_000);
    await celeryClient(vhost.url, [{ op: 'revoke', id: slow, terminate: true }]);
    const s = await waitForLatest(dir, (snap) => snap.tasks[slow]?.state === 'REVOKED', 'tasks.slow REVOKED', 30_000);
    assert.equal(typeof task(s, slow).started, 'number');
    assert.equal(task(s, slow).succeeded, null);
  });

  test('warm shutdown: worker-offline makes the worker not alive with no heartbeats', async () => {
    assert.equal(await worker.stop('SIGTERM'), 0, worker.output());
    // Wait for worker-offline itself (it empties the heartbeats): on a loaded machine the worker can
    // first look dead by heartbeat expiry while it is still shutting down.
    const s = await waitForLatest(dir, (snap) => snap.workers[worker.hostname]?.heartbeats.length === 0, `${worker.hostname} offline`, 20_000);
    assert.equal(s.workers[worker.hostname].alive, false);
    assert.equal(kernel.child.exitCode, null);
    assert.equal(await kernel.stop('SIGTERM'), 0, kernel.stderr());
    // The kernel's auto-delete queue left with it.
    const ours = /"queue":"(celeryev\.[0-9a-f-]{36})"/.exec(kernel.stderr())![1];
    await waitUntil(() => !listQueues(vhost.vhost).some((q) => q.name === ours), `${ours} to go away`, { timeoutMs: 10_000 });
  });
});
