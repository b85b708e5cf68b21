import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EvcamError, ErrorCodes } from '@evcam/camera-api';
import { FakeHost, parseOptionsWith, RecordingLogger } from '@evcam/camera-testkit';
import { PrometheusCamera } from './camera.js';
import { prometheusCameraOptions } from './options.js';
import { captureEvents } from './testing/captures.js';
import { parseExposition, total } from './testing/exposition.js';

function camera(options: Record<string, unknown> = {}, host: FakeHost = new FakeHost()) {
  const logger = new RecordingLogger();
  const cam = new PrometheusCamera({ name: 'prometheus', options: parseOptionsWith(prometheusCameraOptions, { port: 0, ...options }), logger, host });
  return { cam, host, logger };
}

describe('PrometheusCamera', () => {
  it('serves the metrics and /healthz on its own port; other paths 404', async () => {
    const { cam, host } = camera();
    await cam.onInstall();
    try {
      const events = captureEvents('rabbitmq-5.2.6.jsonl');
      for (const ev of events) { host.now = ev.local_received; cam.onEvent(ev); }
      const res = await fetch(`http://127.0.0.1:${cam.port}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const samples = parseExposition(await res.text());
      assert.equal(total(samples, 'celery_task_started_total'), events.filter((e) => e.type === 'task-started').length);
      const health = await (await fetch(`http://127.0.0.1:${cam.port}/healthz`)).json() as Record<string, unknown>;
      assert.equal(health.status, 'ok');
      assert.equal(health.eventsMissing, 0);
      assert.equal((await fetch(`http://127.0.0.1:${cam.port}/nope`)).status, 404);
    } finally {
      await cam.onClose();
    }
  });

  it('each shutter asks the host for the depth of the queues it learned', async () => {
    const asked: string[][] = [];
    const host = Object.assign(new FakeHost(), {
      queueDepths: async (queues: readonly string[]) => { asked.push([...queues]); return Object.fromEntries(queues.map((q) => [q, q === 'celery' ? 7 : null])); },
    });
    const { cam } = camera({ queues: 'extra' }, host);
    cam.onEvent({ type: 'task-sent', uuid: 'u1', name: 't', queue: 'reports', hostname: 'c@h', timestamp: host.now, local_received: host.now });
    await cam.onShutter();
    assert.deepEqual(asked, [['celery', 'extra', 'reports']]);
    const samples = parseExposition(cam.metrics.render(host.now));
    assert.equal(total(samples, 'celery_queue_length', { queue_name: 'celery' }), 7);
    assert.equal(samples.filter((s) => s.name === 'celery_queue_length').length, 1, 'a queue the broker does not know has no sample');
  });

  it('a failing queue-depth call keeps the last values and is logged, never thrown', async () => {
    const host = Object.assign(new FakeHost(), { queueDepths: async () => { throw new Error('channel closed'); } });
    const { cam, logger } = camera({}, host);
    await cam.onShutter();
    assert.match(logger.text(), /could not read queue depths/);
  });

  it('a port in use is a retryable EVCAM_ERR_CAMERA_START naming the fix', async () => {
    const first = camera().cam;
    await first.onInstall();
    try {
      const second = camera({ port: first.port }).cam;
      await assert.rejects(second.onInstall(), (err: unknown) => EvcamError.is(err) && err.code === ErrorCodes.CAMERA_START && err.retryable && /port=N/.test(err.message));
    } finally {
      await first.onClose();
    }
  });

  it('rejects bad options with the option named', () => {
    assert.throws(() => parseOptionsWith(prometheusCameraOptions, { buckets: '1,0.5' }), /buckets/);
    assert.throws(() => parseOptionsWith(prometheusCameraOptions, { hostnamePattern: '(' }), /hostnamePattern/);
    assert.throws(() => parseOptionsWith(prometheusCameraOptions, { port: 70000 }), /port/);
    assert.deepEqual(parseOptionsWith(prometheusCameraOptions, { buckets: '0.1,1,10' }).buckets, [0.1, 1, 10]);
    assert.equal(parseOptionsWith(prometheusCameraOptions, { purgeOfflineWorkerMetrics: '0' }).purgeOfflineWorkerMetrics, 0);
    assert.equal(parseOptionsWith(prometheusCameraOptions, { stuckAfter: '30m' }).stuckAfter, 1800);
  });
});
