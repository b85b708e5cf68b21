// RabbitMQ restarted mid-stream (`rabbitmqctl stop_app` / `start_app`): both receiver modes
// reconnect on their own, keep their State, log the cause and count the reconnect; the
// no-loss kernel also folds what was published before it got back.
// stop_app affects every user of this broker: the window is kept short and the broker is
// always started again (finally + await_startup).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { bindingInfo, eventMessage, queueInfo, successfulTask, waitForLatest } from './helpers/celery.js';
import { startKernel, type KernelRun } from './helpers/kernel-process.js';
import { createVhost, publishCaptured, type CapturedMessage } from './helpers/rabbit.js';

/** `n` successful tasks (4 events each) as task.multi batches; returns the messages and task ids. */
function batch(n: number, host: string): { messages: CapturedMessage[]; ids: string[] } {
  const ids = Array.from({ length: n }, () => randomUUID());
  return { ids, messages: ids.map((id, i) => eventMessage(successfulTask(id, host, Date.now() / 1000 + i * 0.001))) };
}

function rabbitmqctl(...args: string[]): void {
  execFileSync('rabbitmqctl', ['-q', ...args], { stdio: 'ignore', timeout: 120_000 });
}

/** 'running' once the broker has recovered the vhost; undefined when there is no such vhost. */
function vhostState(name: string): string | undefined {
  const vhosts = JSON.parse(execFileSync('rabbitmqctl', ['-q', 'list_vhosts', 'name', 'cluster_state', '--formatter', 'json'], { encoding: 'utf8' })) as
    { name: string; cluster_state: Record<string, string> }[];
  const found = vhosts.find((v) => v.name === name);
  return found && Object.values(found.cluster_state).every((s) => s === 'running') ? 'running' : found ? 'starting' : undefined;
}

/** Stop the RabbitMQ application, run `during`, and start it again whatever happens. */
async function withBrokerStopped(during: () => Promise<void>): Promise<number> {
  const stoppedAt = Date.now();
  try {
    rabbitmqctl('stop_app');
    await during();
  } finally {
    rabbitmqctl('start_app');
    rabbitmqctl('await_startup');
  }
  return Date.now() - stoppedAt;
}

/** Publish, retrying while the broker's listeners come back after start_app. */
async function publishWhenAccepting(url: string, messages: CapturedMessage[]): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await publishCaptured(url, messages);
      return;
    } catch (err) {
      if (Date.now() - started > 30_000) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

const kernelArgs = (url: string, dir: string, extra: string[] = []): string[] =>
  ['-b', url, '--camera', 'file', '--camera-option', `dir=${dir}`, '-F', '0.5', '-l', 'info', ...extra];

describe('broker restart mid-stream', () => {
  let vhost: ReturnType<typeof createVhost>;
  before(() => { vhost = createVhost('evcam-restart'); });
  after(async () => {
    // Right after start_app a vhost is still being recovered: deleting it then can fail, or
    // come back. Delete it once it runs, and make sure it stays gone.
    let goneFor = 0;
    for (let i = 0; i < 60 && goneFor < 3; i++) {
      const state = vhostState(vhost.vhost);
      if (state === undefined) goneFor++;
      else {
        goneFor = 0;
        if (state === 'running') vhost.remove();
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(vhostState(vhost.vhost), undefined, `vhost ${vhost.vhost} left behind`);
  });

  test('both modes reconnect and keep their State; no-loss folds what was published while it was away', async () => {
    const queue = `evcam-restart-${randomUUID().slice(0, 8)}`;
    const defaultDir = mkdtempSync(join(tmpdir(), 'evcam-restart-'));
    const noLossDir = mkdtempSync(join(tmpdir(), 'evcam-restart-'));
    const kernels: KernelRun[] = [];
    try {
      const plain = startKernel(kernelArgs(vhost.url, defaultDir));
      // First retry 10-20 s after the loss: the no-loss kernel is surely still away when the broker is back.
      const slowBackoff = join(noLossDir, 'evcam.config.json');
      writeFileSync(slowBackoff, JSON.stringify({ receiver: { reconnect: { minDelay: 10, maxDelay: 20 } } }));
      const noLoss = startKernel(kernelArgs(vhost.url, noLossDir, ['--queue', queue, '--config', slowBackoff]));
      kernels.push(plain, noLoss);
      await plain.waitFor('consuming Celery events');
      await noLoss.waitFor('consuming Celery events');

      const before = batch(20, 'w1@restart');
      await publishCaptured(vhost.url, before.messages);
      for (const dir of [defaultDir, noLossDir]) await waitForLatest(dir, (s) => s.event_count === 80, 'the first 80 events', 20_000);

      const windowMs = await withBrokerStopped(async () => {
        for (const k of kernels) await k.waitFor('lost the broker connection', 15_000);
      });
      // Published as soon as the broker is back, before the kernels' backoff brings them back.
      const whileAway = batch(20, 'w1@restart');
      await publishWhenAccepting(vhost.url, whileAway.messages);
      const waiting = queueInfo(vhost.vhost).find((q) => q.name === queue)!;
      assert.deepEqual({ consumers: waiting.consumers, messages: waiting.messages }, { consumers: 0, messages: 20 },
        'published while the no-loss kernel was away: the durable queue survived the restart and holds them');

      for (const k of kernels) await k.waitFor('reconnected to the broker', 60_000);
      const afterwards = batch(20, 'w1@restart');
      await publishCaptured(vhost.url, afterwards.messages);

      // No-loss: all three batches, in one State kept across the reconnect.
      const all = [...before.ids, ...whileAway.ids, ...afterwards.ids];
      const kept = await waitForLatest(noLossDir, (s) => s.event_count === 240, 'all 240 events in no-loss mode', 30_000);
      assert.deepEqual(all.filter((id) => kept.tasks[id]?.state !== 'SUCCESS'), []);
      // Default mode: Celery's transient queue died with the broker (events published before
      // the redeclare may be lost, as with Celery), but the State is kept and the stream resumes.
      const plainState = await waitForLatest(defaultDir, (s) => afterwards.ids.every((id) => s.tasks[id]?.state === 'SUCCESS'),
        'the events published after the reconnect', 30_000);
      assert.deepEqual(before.ids.filter((id) => plainState.tasks[id]?.state !== 'SUCCESS'), [], 'State kept across the reconnect');
      assert.ok(plainState.event_count >= 160);

      for (const k of kernels) {
        // One loss per restart; a connection accepted while the broker was still booting may add one more.
        const lines = k.stderr().split('\n').filter((l) => l.includes('lost the broker connection'));
        assert.ok(lines.length >= 1 && lines.length <= 2, k.stderr());
        const lost = lines.map((l) => JSON.parse(l) as { cause: string; reconnects: number });
        assert.deepEqual(lost.map((l) => l.reconnects), lost.map((_, i) => i + 1), 'each reconnect counted');
        assert.match(lost[0].cause, /CONNECTION_FORCED|shutdown/i, 'the cause is logged');
        assert.equal(k.child.exitCode, null, 'the kernel kept running');
        assert.equal(await k.stop('SIGTERM'), 0, k.stderr());
      }
      const down = kernels.map((k) => (JSON.parse(k.stderr().split('\n').find((l) => l.includes('reconnected to the broker'))!) as { downSecs: number }).downSecs);
      process.stdout.write(`# broker down ${windowMs} ms (stop_app .. await_startup); kernels disconnected for ${down.join(' s, ')} s (default, no-loss)\n`);
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
