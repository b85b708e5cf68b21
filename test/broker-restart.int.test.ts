// A broker outage mid-stream, simulated by a TCP proxy this test controls (never by stopping the
// shared RabbitMQ): the kernels connect through the proxy; cut() drops their connections and
// refuses new ones, restore() accepts again. Both receiver modes reconnect with backoff, keep
// their State, redeclare their queue, log the cause and count the reconnect. Events published
// during the outage (straight to RabbitMQ) wait in the no-loss kernel's durable queue and are
// folded once, and are lost in default mode (its auto-delete queue went with the connection).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { startTcpProxy, waitUntil, type TcpProxy } from '@evcam/camera-testkit';
import { bindingInfo, eventMessage, queueInfo, successfulTask, waitForLatest } from './helpers/celery.js';
import { startKernel, type KernelRun } from './helpers/kernel-process.js';
import { createVhost, publishCaptured, type CapturedMessage } from './helpers/rabbit.js';

/** `n` successful tasks (4 events each) as task.multi batches; returns the messages and task ids. */
function batch(n: number, host: string): { messages: CapturedMessage[]; ids: string[] } {
  const ids = Array.from({ length: n }, () => randomUUID());
  return { ids, messages: ids.map((id, i) => eventMessage(successfulTask(id, host, Date.now() / 1000 + i * 0.001))) };
}

const kernelArgs = (url: string, dir: string, config: string, extra: string[] = []): string[] =>
  ['-b', url, '--camera', 'file', '--camera-option', `dir=${dir}`, '--config', config, '-F', '0.5', '-l', 'info', ...extra];

const logLines = (k: KernelRun, msg: string): Record<string, any>[] =>
  k.stderr().split('\n').filter((l) => l.includes(msg)).map((l) => JSON.parse(l) as Record<string, any>);

describe('broker outage mid-stream (through a TCP proxy)', () => {
  let vhost: ReturnType<typeof createVhost>;
  let proxy: TcpProxy;
  before(async () => {
    vhost = createVhost('evcam-restart');
    proxy = await startTcpProxy(5672);
  });
  after(async () => {
    await proxy.close();
    vhost.remove();
  });

  test('both modes reconnect with backoff and keep their State; no-loss folds what was published while it was away, default loses it', async () => {
    const queue = `evcam-restart-${randomUUID().slice(0, 8)}`;
    const defaultDir = mkdtempSync(join(tmpdir(), 'evcam-restart-'));
    const noLossDir = mkdtempSync(join(tmpdir(), 'evcam-restart-'));
    // Short backoff: the kernels retry (and are refused) several times while the proxy is cut.
    const config = join(mkdtempSync(join(tmpdir(), 'evcam-restart-config-')), 'evcam.config.json');
    writeFileSync(config, JSON.stringify({ receiver: { reconnect: { minDelay: 0.2, maxDelay: 1 } } }));
    const viaProxy = `amqp://guest:guest@127.0.0.1:${proxy.port}/${encodeURIComponent(vhost.vhost)}`;
    const kernels: KernelRun[] = [];
    try {
      const plain = startKernel(kernelArgs(viaProxy, defaultDir, config));
      const noLoss = startKernel(kernelArgs(viaProxy, noLossDir, config, ['--queue', queue]));
      kernels.push(plain, noLoss);
      await plain.waitFor('consuming Celery events');
      await noLoss.waitFor('consuming Celery events');
      const plainQueue = (logLines(plain, 'consuming Celery events')[0] as { queue: string }).queue;

      const first = batch(20, 'w1@restart');
      await publishCaptured(vhost.url, first.messages);
      for (const dir of [defaultDir, noLossDir]) await waitForLatest(dir, (s) => s.event_count === 80, 'the first 80 events', 20_000);

      // The outage: every connection through the proxy dropped, new ones refused.
      proxy.cut();
      for (const k of kernels) await k.waitFor('lost the broker connection', 15_000);
      for (const k of kernels) await k.waitFor('broker reconnect failed; backing off', 15_000);
      // RabbitMQ saw the default kernel's connection go: its auto-delete queue is gone, the durable one stays.
      await waitUntil(() => bindingInfo(vhost.vhost).every((b) => b.destination_name !== plainQueue),
        `${plainQueue} deleted with its connection`, { timeoutMs: 15_000 });
      const whileAway = batch(20, 'w1@restart');
      await publishCaptured(vhost.url, whileAway.messages);
      const waiting = queueInfo(vhost.vhost).find((q) => q.name === queue)!;
      assert.deepEqual({ consumers: waiting.consumers, messages: waiting.messages }, { consumers: 0, messages: 20 },
        'published while the no-loss kernel was away: its durable queue holds them');
      assert.equal(queueInfo(vhost.vhost).some((q) => q.name === plainQueue), false, 'the default queue went with the connection');
      const acceptedBeforeRestore = proxy.accepted();
      proxy.restore();

      for (const k of kernels) await k.waitFor('reconnected to the broker', 30_000);
      assert.ok(proxy.accepted() >= acceptedBeforeRestore + 2, 'both kernels came back through the proxy');
      const plainRedeclared = (logLines(plain, 'reconnected to the broker')[0] as { queue: string }).queue;
      assert.equal(plainRedeclared, plainQueue, 'the default kernel redeclared its queue');
      assert.ok(queueInfo(vhost.vhost).some((q) => q.name === plainQueue && q.consumers === 1), 'and consumes from it again');
      const afterwards = batch(20, 'w1@restart');
      await publishCaptured(vhost.url, afterwards.messages);

      // No-loss: all three batches, each folded once, in one State kept across the reconnect.
      const all = [...first.ids, ...whileAway.ids, ...afterwards.ids];
      const kept = await waitForLatest(noLossDir, (s) => all.every((id) => succeeded(s, id)), 'all three batches in no-loss mode', 30_000);

      assert.equal(kept.event_count, 240, 'nothing lost, nothing counted twice');
      // Default mode: the window's events are lost (docs/reliability.md), the State is kept, the stream resumes.
      const plainState = await waitForLatest(defaultDir, (s) => afterwards.ids.every((id) => succeeded(s, id)),
        'the events published after the reconnect', 30_000);
      assert.deepEqual(first.ids.filter((id) => !succeeded(plainState, id)), [], 'State kept across the reconnect');
      assert.deepEqual(whileAway.ids.filter((id) => plainState.tasks[id] !== undefined), [], 'the outage window is lost in default mode');
      assert.equal(plainState.event_count, 160);

      for (const k of kernels) {
        const lost = logLines(k, 'lost the broker connection') as { cause: string; reconnects: number }[];
        assert.deepEqual(lost.map((l) => l.reconnects), [1], `one loss, counted once:\n${k.stderr()}`);
        assert.ok(typeof lost[0].cause === 'string' && lost[0].cause.length > 0, 'the cause is logged');
        assert.ok(logLines(k, 'broker reconnect failed; backing off').length >= 1, 'refused attempts back off');
        assert.equal(k.child.exitCode, null, 'the kernel kept running');
        assert.equal(await k.stop('SIGTERM'), 0, k.stderr());
      }
      const down = kernels.map((k) => (logLines(k, 'reconnected to the broker')[0] as { downSecs: number }).downSecs);
      process.stdout.write(`# kernels disconnected for ${down.join(' s, ')} s (default, no-loss)\n`);
    } catch (err) {
      (err as Error).message = `${(err as Error).message.slice(0, 500)}\n${kernels.map((k) => k.stderr()).join('\n---\n')}`;
      throw err;
    } finally {
      for (const k of kernels) await k.stop('SIGKILL');
      const conn = await amqp.connect(vhost.url).catch(() => null);
      if (conn) {
        await conn.createChannel().then((ch) => ch.deleteQueue(queue)).catch(() => {});
        await conn.close().catch(() => {});
      }
    }
    assert.deepEqual(bindingInfo(vhost.vhost), [], 'nothing left bound to celeryev');
  });
});

function succeeded(s: { tasks: Record<string, { state?: string } | undefined> }, id: string): boolean {
  return s.tasks[id]?.state === 'SUCCESS';
}
