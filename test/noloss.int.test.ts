// No-loss mode (`--queue NAME`) against the real RabbitMQ: a durable named queue keeps
// collecting Celery events while the kernel is stopped; the restarted kernel folds all
// of them and acknowledges them. `--limit N` ends the run after N folded events.
import assert from 'node:assert/strict';
import { waitUntil } from '@evcam/camera-testkit';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import {
  bindingInfo, celeryClient, eventMessage, queueInfo, readLatest, startWorker, successfulTask, waitForLatest,
} from './helpers/celery.js';
import { startKernel } from './helpers/kernel-process.js';
import { createVhost, listConsumers, publishCaptured, type CapturedMessage } from './helpers/rabbit.js';

const kernelArgs = (url: string, dir: string, queue: string, extra: string[] = []): string[] =>
  ['-b', url, '--camera', 'file', '--camera-option', `dir=${dir}`, '-F', '0.5', '-l', 'info', '--queue', queue, ...extra];

async function deleteQueue(url: string, queue: string): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  await ch.deleteQueue(queue);
  await conn.close();
}

/** Start the kernel in no-loss mode until it consumes, then stop it: the durable queue stays. */
async function declareAndStop(url: string, queue: string): Promise<void> {
  const kernel = startKernel(kernelArgs(url, mkdtempSync(join(tmpdir(), 'evcam-noloss-')), queue));
  try {
    await kernel.waitFor('consuming Celery events');
    assert.equal(await kernel.stop('SIGTERM'), 0, kernel.stderr());
  } finally {
    await kernel.stop('SIGKILL');
  }
}

describe('no-loss mode (--queue NAME)', () => {
  let vhost: ReturnType<typeof createVhost>;
  before(() => { vhost = createVhost('evcam-noloss'); });
  after(() => vhost.remove());

  test('events published while the kernel is stopped are all folded after it restarts; --limit N exits after N', async () => {
    const queue = `evcam-noloss-${randomUUID().slice(0, 8)}`;
    try {
      await declareAndStop(vhost.url, queue);
      const [q] = queueInfo(vhost.vhost);
      assert.deepEqual(q, { name: queue, durable: true, auto_delete: false, exclusive: false, arguments: { 'x-expires': 7 * 24 * 3600 * 1000 },
        messages: 0, consumers: 0 }, 'durable named queue, kept while no kernel runs');
      assert.deepEqual(bindingInfo(vhost.vhost), [{ source_name: 'celeryev', destination_name: queue, destination_kind: 'queue', routing_key: '#' }]);

      // K events while no kernel runs: half the tasks as task.multi batches, half as single messages.
      const tasks = 250;
      const K = tasks * 4;
      const t0 = Date.now() / 1000 - 60;
      const messages: CapturedMessage[] = [];
      const ids: string[] = [];
      for (let i = 0; i < tasks; i++) {
        const id = randomUUID();
        ids.push(id);
        const events = successfulTask(id, `w${i % 3}@noloss`, t0 + i * 0.01);
        if (i % 2 === 0) messages.push(eventMessage(events));
        else for (const e of events) messages.push(eventMessage(e));
      }
      await publishCaptured(vhost.url, messages);
      await waitUntil(() => queueInfo(vhost.vhost)[0].messages === messages.length, `${messages.length} messages queued`, { timeoutMs: 10_000 });

      const dir = mkdtempSync(join(tmpdir(), 'evcam-noloss-'));
      const kernel = startKernel(kernelArgs(vhost.url, dir, queue, ['--limit', String(K)]));
      const timer = setTimeout(() => kernel.child.kill('SIGKILL'), 60_000);
      const code = await kernel.exited;
      clearTimeout(timer);
      assert.equal(code, 0, kernel.stderr());
      const s = (await readLatest(dir))!;
      assert.equal(s.event_count, K, 'every event published while the kernel was stopped, nothing more');
      assert.equal(s.task_count, tasks);
      assert.deepEqual(ids.filter((id) => s.tasks[id]?.state !== 'SUCCESS'), []);
      assert.match(kernel.stderr(), /"why":"limit"/);
      // Folded means acknowledged: nothing is redelivered to the next run.
      const after = queueInfo(vhost.vhost)[0];
      assert.deepEqual({ messages: after.messages, consumers: after.consumers }, { messages: 0, consumers: 0 });
    } finally {
      await deleteQueue(vhost.url, queue).catch(() => {});
    }
    assert.deepEqual(bindingInfo(vhost.vhost), [], 'nothing left bound to celeryev');
  });

  test('receiver.acks: the broker sees acked consumption by default and with fold, none with --acks none; events fold either way', async () => {
    // The three modes side by side, each kernel on its own queue bound to the same celeryev.
    const modes = ([[[], true, 10000], [['--acks', 'fold'], true, 10000], [['--acks', 'none'], false, 0]] as const).map(([flags, ackRequired, prefetch]) => {
      const queue = `evcam-acks-${randomUUID().slice(0, 8)}`;
      const dir = mkdtempSync(join(tmpdir(), 'evcam-acks-'));
      return { flags, ackRequired, prefetch, queue, dir, what: flags.join(' ') || 'default', kernel: startKernel(kernelArgs(vhost.url, dir, queue, [...flags])) };
    });
    try {
      await Promise.all(modes.map((m) => m.kernel.waitFor('consuming Celery events')));
      const consumers = listConsumers(vhost.vhost);
      for (const { queue, ackRequired, prefetch, what } of modes) {
        assert.deepEqual(consumers.filter((c) => c.queue === queue), [{ queue, ackRequired, prefetch }], what);
      }
      const id = randomUUID();
      await publishCaptured(vhost.url, [eventMessage(successfulTask(id, 'w1@acks', Date.now() / 1000))]);
      await Promise.all(modes.map(async ({ dir, kernel, what }) => {
        await waitForLatest(dir, (snap) => snap.tasks[id]?.state === 'SUCCESS', `task folded (${what})`, 15_000);
        assert.equal(await kernel.stop('SIGTERM'), 0, kernel.stderr());
      }));
      const queues = queueInfo(vhost.vhost);
      for (const { queue, what } of modes) assert.equal(queues.find((q) => q.name === queue)!.messages, 0, `nothing left unacknowledged (${what})`);
    } finally {
      for (const { kernel } of modes) await kernel.stop('SIGKILL');
      for (const { queue } of modes) await deleteQueue(vhost.url, queue).catch(() => {});
    }
  });

  test('--acks fold without a named queue is refused with the fix in the message', async () => {
    const kernel = startKernel(['-b', vhost.url, '--camera', 'file', '--camera-option', `dir=${mkdtempSync(join(tmpdir(), 'evcam-acks-'))}`, '--acks', 'fold']);
    const code = await kernel.exited;
    assert.notEqual(code, 0);
    assert.match(kernel.stderr(), /EVCAM_ERR_CONFIG_INVALID.*receiver\.acks: 'fold' needs a named queue \(receiver\.queue or --queue\)/);
  });

  test('a real Celery worker runs tasks while the kernel is stopped: all of them folded after restart', async () => {
    const queue = `evcam-noloss-${randomUUID().slice(0, 8)}`;
    await declareAndStop(vhost.url, queue);
    const worker = startWorker(vhost.url, 'nl1');
    try {
      const ops = [...Array.from({ length: 20 }, (_, i) => ({ op: 'send' as const, name: 'tasks.add', args: [i, 1] })),
        { op: 'send' as const, name: 'tasks.fail', kwargs: { msg: 'while nobody watched' } }];
      const ids = await celeryClient(vhost.url, ops) as string[];
      // No result backend: ask the worker how many it has run.
      let processed: Record<string, Record<string, number>> = {};
      await waitUntil(async () => {
        [processed] = await celeryClient(vhost.url, [{ op: 'processed', workers: 1 }]) as Record<string, Record<string, number>>[];
        const totals = processed[worker.hostname] ?? {};
        return totals['tasks.add'] === 20 && totals['tasks.fail'] === 1;
      }, 'the worker to run the 21 tasks', { timeoutMs: 60_000, intervalMs: 500 }).catch((err: Error) => {
        throw new Error(`${err.message}: ${JSON.stringify(processed)}\n${worker.output()}`);
      });
      assert.equal(await worker.stop('SIGTERM'), 0, worker.output());
      assert.ok(queueInfo(vhost.vhost).find((q) => q.name === queue)!.messages > 0, 'events waited in the durable queue');

      const dir = mkdtempSync(join(tmpdir(), 'evcam-noloss-'));
      const kernel = startKernel(kernelArgs(vhost.url, dir, queue));
      try {
        const s = await waitForLatest(dir, (snap) => ids.every((id) => ['SUCCESS', 'FAILURE'].includes(snap.tasks[id]?.state))
          && snap.workers[worker.hostname]?.alive === false, 'all 21 tasks settled and the worker offline', 30_000);
        assert.deepEqual(ids.slice(0, 20).map((id) => s.tasks[id].result), Array.from({ length: 20 }, (_, i) => String(i + 1)));
        assert.equal(s.tasks[ids[20]].exception, "ValueError('while nobody watched')");
        assert.ok(s.workers[worker.hostname].processed as number >= 21);
        assert.deepEqual(s.workers[worker.hostname].heartbeats, [], 'worker-offline folded last');
        assert.equal(await kernel.stop('SIGTERM'), 0, kernel.stderr());
      } finally {
        await kernel.stop('SIGKILL');
      }
      assert.equal(queueInfo(vhost.vhost).find((q) => q.name === queue)!.messages, 0, 'everything folded was acknowledged');
    } finally {
      await worker.stop('SIGKILL');
      await deleteQueue(vhost.url, queue).catch(() => {});
    }
    assert.deepEqual(bindingInfo(vhost.vhost).filter((b) => b.destination_name === queue), []);
  });
});
