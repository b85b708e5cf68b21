// Loss accounting of --camera prometheus against the truth, with a real Celery worker:
// the kernel on Celery's own transient event queue (5 s message TTL) is frozen while the
// worker runs tasks, so part of the backlog expires before it can be drained.
// evcam_events_missing_total must match what was really lost (the worker's own count of
// started tasks minus the task-started events the kernel folded) within 5 points.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitUntil } from '@evcam/camera-testkit';
import amqp from 'amqplib';
import { celeryClient, startWorker, type WorkerRun } from './helpers/celery.js';
import { startKernel, type KernelRun } from './helpers/kernel-process.js';
import { createVhost } from './helpers/rabbit.js';

/** Sum of a family's samples in a Prometheus text exposition (optionally where a label has a value). */
function sum(text: string, family: string, label?: [string, string]): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${family}{`) && !line.startsWith(`${family} `)) continue;
    if (label && !line.includes(`${label[0]}="${label[1]}"`)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The worker's --heartbeat-interval: the loss estimate moves once per heartbeat. */
const HEARTBEAT_S = 1;

/**
 * Events of a type no camera counts, enough to fill the frozen kernel's socket buffers, so
 * what follows stays in the broker queue where its TTL applies (as with a real backlog).
 * Socket buffers hold bytes: ~90 MB in few large messages publishes far faster than in many small ones.
 */
async function publishFiller(url: string, count: number, padBytes: number): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  const body = Buffer.from(JSON.stringify({ type: 'evcam-test-filler', hostname: 'filler@test', timestamp: Date.now() / 1000, pad: 'x'.repeat(padBytes) }));
  for (let i = 0; i < count; i++) {
    if (!ch.publish('celeryev', 'evcam.filler', body, { contentType: 'application/json', contentEncoding: 'utf-8' })) {
      await new Promise((r) => ch.once('drain', r));
    }
  }
  await ch.close();
  await conn.close();
}

describe('evcam_events_missing_total on the transient event queue', { timeout: 180_000 }, () => {
  const broker = createVhost('evcam-prom-loss');
  let kernel: KernelRun;
  let worker: WorkerRun;
  let metricsUrl = '';
  let healthzUrl = '';
  const healthz = async () => (await fetch(healthzUrl)).json() as Promise<{ status: string; cameras: { details?: Record<string, unknown> }[] }>;
  const scrape = async () => (await fetch(metricsUrl)).text();
  const sendAdds = (n: number) => celeryClient(broker.url, Array.from({ length: n }, (_v, i) => ({ op: 'send' as const, name: 'tasks.add', args: [i, 1] })));
  /** What the worker itself counts as accepted (= task-started events it published). */
  const workerProcessed = async () => {
    const stats = await celeryClient(broker.url, [{ op: 'processed', workers: 1 }]) as [Record<string, Record<string, number>>];
    return Object.values(stats[0][worker.hostname] ?? {}).reduce((a, b) => a + b, 0);
  };

  before(async () => {
    // No --queue: Celery's own celeryev.<uuid> queue, 5 s message TTL.
    kernel = startKernel(['-b', broker.url, '--camera', 'prometheus', '--camera-option', 'port=0', '-F', '0.5', '-l', 'info', '--http-port', '0']);
    await kernel.waitFor('serving Celery cluster metrics');
    await kernel.waitFor('serving /healthz and /metrics');
    const portOf = (text: string) => {
      const line = (kernel.stderr() + kernel.stdout()).split('\n').find((l) => l.includes(text))!;
      return /"port":(\d+)/.exec(line)![1];
    };
    metricsUrl = `http://127.0.0.1:${portOf('serving Celery cluster metrics')}/metrics`;
    healthzUrl = `http://127.0.0.1:${portOf('serving /healthz and /metrics')}/healthz`;
    await kernel.waitFor('consuming');
    worker = startWorker(broker.url, 'lossw', 4, { heartbeatSecs: HEARTBEAT_S });
    await waitUntil(async () => sum(await scrape(), 'celery_worker_up') === 1, 'the worker to be up in the metrics', { timeoutMs: 60_000, intervalMs: 250 });
  });

  after(async () => {
    if (kernel?.child.exitCode === null) kernel.child.kill('SIGCONT');
    await worker?.stop();
    await kernel?.stop();
    broker.remove();
  });

  it('with nothing lost it stays 0', async () => {
    await sendAdds(100);
    await waitUntil(async () => sum(await scrape(), 'evcam_events_expected_total') >= 100,
      'two heartbeats after the 100 tasks', { timeoutMs: 60_000, intervalMs: 250 });
    const text = await scrape();
    assert.equal(sum(text, 'celery_task_started_total'), 100);
    assert.equal(sum(text, 'evcam_events_missing_total'), 0);
    assert.equal(sum(text, 'evcam_events_missing_ratio'), 0);
    const health = await healthz();
    assert.equal(health.cameras[0].details?.eventsMissing, 0);
    assert.equal(health.cameras[0].details?.status, 'ok');
  });

  it('reports the lost share of task-started events within 5 percentage points of the truth', async (t) => {
    const before = await scrape();
    const startedBefore = sum(before, 'celery_task_started_total');
    const processedBefore = await workerProcessed();
    // The kernel stops draining: what waits longer than the queue's 5 s TTL expires unread.
    kernel.child.kill('SIGSTOP');
    try {
      await publishFiller(broker.url, 30_000, 3_000);
      await sendAdds(150);
      await sleep(7_000);
      await sendAdds(150);
      await sleep(1_000);
    } finally {
      kernel.child.kill('SIGCONT');
    }
    const published = (await workerProcessed()) - processedBefore;
    assert.equal(published, 300, 'the worker ran every task');
    await waitUntil(async () => sum(await scrape(), 'evcam_events_expected_total') >= 400,
      'heartbeats after the backlog to reach the camera', { timeoutMs: 60_000, intervalMs: 250 });
    await sleep(2_500 * HEARTBEAT_S); // two more heartbeats: the estimate trails by one
    const text = await scrape();
    const folded = sum(text, 'celery_task_started_total') - startedBefore;
    const lostShare = (published - folded) / published;
    const expected = sum(text, 'evcam_events_expected_total');
    const missing = sum(text, 'evcam_events_missing_total');
    t.diagnostic(`truth: ${published - folded} of ${published} task-started lost (${(lostShare * 100).toFixed(1)} %); ` +
      `evcam_events_missing_total ${missing} of expected ${expected} (${(missing / expected * 100).toFixed(1)} %)`);
    assert.ok(lostShare > 0.2, `the stall lost task-started events (lost ${published - folded} of ${published})`);
    assert.ok(Math.abs(missing / expected - (published - folded) / expected) <= 0.05,
      `missing ${missing} of ${expected} expected; truth: ${published - folded} of ${published} lost`);
    assert.ok(Math.abs(sum(text, 'evcam_events_missing_ratio') - lostShare * published / expected) <= 0.05);
    assert.match(kernel.stderr(), /never reached evcam/, 'a warning was logged');
    // The kernel's /healthz shows it: the camera's details, and the whole document degraded.
    const health = await healthz();
    assert.equal(health.cameras[0].details?.eventsMissing, missing);
    assert.equal(health.status, 'degraded');
  });
});
