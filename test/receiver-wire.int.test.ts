// The AMQP receiver on the wire, against the real RabbitMQ: the queue and binding are
// Celery's own, the exchange declaration agrees with Celery's, and bad input interleaved
// with valid events is counted per reason and skipped while the valid events are folded.
import assert from 'node:assert/strict';
import { waitUntil } from '@evcam/camera-testkit';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import {
  bindingInfo, celeryClient, eventMessage, exchangeInfo, queueInfo, waitForLatest,
} from './helpers/celery.js';
import { runKernel, startKernel, type KernelRun } from './helpers/kernel-process.js';
import { createVhost } from './helpers/rabbit.js';

const HOST = 'wire@test';
const TASK_A = '0b0c6a4e-7c52-4f5b-9a3e-1d2f3a4b5c6d';
const TASK_B = '1c1d7b5f-8d63-405c-8b4f-2e3a4b5c6d7e';

interface Raw { routingKey: string; body: Buffer | string; contentType?: string; contentEncoding?: string; headers?: Record<string, unknown> }

const json = (routingKey: string, body: unknown): Raw => ({ routingKey, body: JSON.stringify(body), contentType: 'application/json', contentEncoding: 'utf-8' });
const raw = (m: ReturnType<typeof eventMessage>): Raw => ({ routingKey: m.routing_key, body: m.body, contentType: m.properties.content_type,
  contentEncoding: m.properties.content_encoding, headers: m.properties.application_headers });

async function publish(url: string, messages: Raw[]): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  for (const m of messages) {
    ch.publish('celeryev', m.routingKey, typeof m.body === 'string' ? Buffer.from(m.body, 'utf8') : m.body,
      { contentType: m.contentType, contentEncoding: m.contentEncoding, headers: m.headers, deliveryMode: 1 });
  }
  await ch.waitForConfirms();
  await conn.close();
}

function kernelArgs(url: string, dir: string, extra: string[] = []): string[] {
  return ['-b', url, '--camera', 'file', '--camera-option', `dir=${dir}`, '-F', '0.5', '-l', 'info', ...extra];
}

/** The kernel's structured log lines (pino JSON on stderr). */
function logLines(kernel: KernelRun): Record<string, unknown>[] {
  return kernel.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

const now = () => Date.now() / 1000;

describe('AMQP receiver on the wire (real RabbitMQ)', () => {
  let vhost: ReturnType<typeof createVhost>;
  before(() => { vhost = createVhost('evcam-wire'); });
  after(() => vhost.remove());

  test("declares Celery's receiver queue, agrees with Celery's exchange, folds valid events around bad input", async () => {
    // Celery declares the exchange first, as a worker would: ours must not conflict with it.
    await celeryClient(vhost.url, [{ op: 'declare_celeryev' }]);
    const celerys = exchangeInfo(vhost.vhost, 'celeryev');
    const dir = mkdtempSync(join(tmpdir(), 'evcam-wire-'));
    const kernel = startKernel(kernelArgs(vhost.url, dir));
    try {
      await kernel.waitFor('consuming Celery events');

      // Exchange unchanged by our declaration; queue and binding exactly Celery's EventReceiver's.
      assert.deepEqual(exchangeInfo(vhost.vhost, 'celeryev'), celerys);
      assert.deepEqual({ ...celerys, arguments: undefined }, { name: 'celeryev', type: 'topic', durable: true, auto_delete: false, internal: false, arguments: undefined });
      const queues = queueInfo(vhost.vhost);
      assert.equal(queues.length, 1, JSON.stringify(queues));
      const q = queues[0];
      assert.match(q.name, /^celeryev\.[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'celeryev.<uuid4>');
      assert.deepEqual({ durable: q.durable, auto_delete: q.auto_delete, exclusive: q.exclusive, consumers: q.consumers },
        { durable: false, auto_delete: true, exclusive: false, consumers: 1 });
      assert.deepEqual(q.arguments, { 'x-expires': 60000, 'x-message-ttl': 5000 });
      assert.deepEqual(bindingInfo(vhost.vhost), [{ source_name: 'celeryev', destination_name: q.name, destination_kind: 'queue', routing_key: '#' }]);

      const t = now();
      const deep: Record<string, unknown> = {};
      let cursor = deep;
      for (let i = 0; i < 100; i++) { cursor.next = {}; cursor = cursor.next as Record<string, unknown>; }
      const worker = { hostname: HOST, utcoffset: 0, pid: 7, freq: 2.0, active: 0, processed: 0, loadavg: [0, 0, 0],
        sw_ident: 'py-celery', sw_ver: '5.2.6', sw_sys: 'Linux' };
      const taskA = { uuid: TASK_A, hostname: HOST, utcoffset: 0, pid: 7 };
      const messages: Raw[] = [
        raw(eventMessage({ ...worker, type: 'worker-online', timestamp: t, clock: 1 })),                                 // valid 1
        { routingKey: 'task.sent', body: Buffer.from([0x80, 0x04, 0x95, 0x10, 0x00, 0x2e]), contentType: 'application/x-python-serialize', contentEncoding: 'binary' },
        { routingKey: 'task.sent', body: Buffer.from([0x80, 0x04, 0x95, 0x11, 0x00, 0x2e]), contentType: 'application/x-python-serialize', contentEncoding: 'binary' },
        { routingKey: 'task.sent', body: 'type: task-sent\n', contentType: 'application/x-yaml', contentEncoding: 'utf-8' },
        json('task.multi', []),                          // empty task.multi: nothing
        { ...json('task.sent', {}), body: '{"type": "task-sent", "uuid": ' },                                            // invalid JSON
        raw(eventMessage([                                                                                                   // valid 2, 3
          { ...taskA, type: 'task-sent', name: 'tasks.add', args: '(2, 3)', kwargs: '{}', retries: 0, root_id: TASK_A, parent_id: null, timestamp: t, clock: 2 },
          { ...taskA, type: 'task-received', name: 'tasks.add', args: '(2, 3)', kwargs: '{}', retries: 0, root_id: TASK_A, parent_id: null, timestamp: t + 0.01, clock: 3 },
        ])),
        // kombu >= 5.3 JSON type envelopes (a datetime eta, a UUID): decoded, valid 4, 5
        json('task.multi', [
          { type: 'task-received', uuid: TASK_B, hostname: HOST, utcoffset: 0, pid: 7, name: 'tasks.add', args: '(1, 1)', kwargs: '{}',
            eta: { __type__: 'datetime', __value__: '2030-01-01T00:00:00+00:00' }, timestamp: t + 0.02, clock: 4 },
          { type: 'task-started', uuid: { __type__: 'uuid', __value__: { hex: TASK_A.replace(/-/g, '') } }, hostname: HOST, utcoffset: 0, pid: 7,
            timestamp: t + 0.03, clock: 5 },
        ]),
        json('task.succeeded', { ...taskA, type: 'task-succeeded', result: '5', runtime: 0.01, timestamp: 'yesterday', clock: 6 }), // bad-field-type
        json('worker.heartbeat', { ...worker, hostname: 42, type: 'worker-heartbeat', timestamp: t, clock: 6 }),        // bad-field-type
        json('task.failed', { hostname: HOST, type: 'task-failed', exception: 'x', timestamp: t, clock: 6 }),             // missing-field (uuid)
        json('worker.heartbeat', { ...worker, hostname: undefined, type: 'worker-heartbeat', timestamp: t, clock: 6 }), // missing-field (hostname)
        json('task.sent', { uuid: TASK_A, hostname: HOST, timestamp: t }),                                                 // missing-type
        json('task.sent', { ...taskA, type: 7, timestamp: t }),                                                            // bad-type
        json('task.sent', 42),                                                                                             // not-an-event
        json('task.sent', 'task-sent'),                                                                                    // not-an-event
        json('task.multi', [{ ...taskA, type: 'task-succeeded', result: '5', runtime: 0.01, timestamp: t + 0.04, clock: 7 }, 17]), // valid 6 + not-an-event
        { ...json('task.sent', {}), body: Buffer.alloc(9 * 1024 * 1024, 0x20) },                                          // too-large
        json('task.received', { ...taskA, uuid: TASK_B, type: 'task-received', timestamp: t, meta: deep }),               // too-deep
        { ...json('task.sent', { ...taskA, type: 'task-sent', timestamp: t }), contentEncoding: 'latin-1' },              // encoding
        { ...json('task.sent', { ...taskA, type: 'task-sent', timestamp: t }), headers: { compression: 'application/x-lzma' } }, // compression
        json('custom.hello', { type: 'custom-hello', hostname: HOST, greeting: 'hi', timestamp: t + 0.05, clock: 8 }),   // valid 7: unknown group, counted like Celery
        // Type comes from the body, never the routing key: valid 8
        json('worker.offline', { type: 'task-started', uuid: TASK_B, hostname: HOST, utcoffset: 0, pid: 7, timestamp: t + 0.06, clock: 9 }),
      ];
      await publish(vhost.url, messages);

      const latest = await waitForLatest(dir, (s) => s.event_count === 8 && s.tasks[TASK_B]?.state === 'STARTED', 'the 8 valid events folded', 30_000);
      assert.equal(latest.task_count, 2);
      const a = latest.tasks[TASK_A];
      assert.deepEqual({ state: a.state, name: a.name, args: a.args, result: a.result, worker: a.worker },
        { state: 'SUCCESS', name: 'tasks.add', args: '(2, 3)', result: '5', worker: HOST });
      const b = latest.tasks[TASK_B];
      assert.equal(b.eta, '2030-01-01T00:00:00+00:00', 'kombu datetime envelope decoded to its ISO string');
      assert.equal(latest.workers[HOST].alive, true);
      assert.equal(kernel.child.exitCode, null, 'ingestion never stopped');

      // The bad-input log is rate-limited (1/s): one more bad message a second later carries the totals.
      await new Promise((r) => setTimeout(r, 1100));
      await publish(vhost.url, [{ ...json('task.sent', {}), body: 'not json' }]);
      await kernel.waitFor('"invalid-json":2', 10_000);
      const skipped = logLines(kernel).filter((l) => l.msg === 'skipped a bad event message');
      assert.deepEqual(skipped.at(-1)!.totals, {
        'content-type': 3, 'invalid-json': 2, 'bad-field-type': 2, 'missing-field': 2, 'missing-type': 1, 'bad-type': 1,
        'not-an-event': 3, 'too-large': 1, 'too-deep': 1, encoding: 1, compression: 1,
      });
      // Refused content types: logged once each, with what to change in Celery's config.
      const refusals = logLines(kernel).filter((l) => String(l.msg).startsWith('refusing event messages that are not JSON'));
      assert.deepEqual(refusals.map((l) => l.contentType).sort(), ['application/x-python-serialize', 'application/x-yaml']);
      assert.match(String(refusals[0].msg), /event_serializer = 'json'/);

      assert.equal(await kernel.stop('SIGTERM'), 0, kernel.stderr());
    } finally {
      await kernel.stop('SIGKILL');
    }
    // Auto-delete: the queue goes with its consumer, nothing stays bound to celeryev.
    await waitUntil(() => queueInfo(vhost.vhost).length === 0, 'the auto-delete queue to go away', { timeoutMs: 10_000 });
    assert.deepEqual(bindingInfo(vhost.vhost), []);
  });

  // Retrying cannot fix these: exit 69 with the actionable EVCAM_ERR_BROKER_CONNECT message.
  for (const [what, url] of [
    ['a wrong password', `amqp://guest:wrong@127.0.0.1:5672/${encodeURIComponent('evcam-wire-x')}`],
    ['an unknown vhost', 'amqp://guest:guest@127.0.0.1:5672/evcam-no-such-vhost'],
  ] as const) {
    test(`${what} at start is a user error, not an outage`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'evcam-wire-'));
      const run = await runKernel(kernelArgs(url, dir), { timeoutMs: 15_000 });
      assert.equal(run.code, 69, `exit code (null: still retrying after 15 s)\n${run.stderr.slice(-2000)}`);
      assert.match(run.stderr, /EVCAM_ERR_BROKER_CONNECT: .*(check the user, password and vhost|check that the vhost exists)/);
      assert.doesNotMatch(run.stderr, /wrong@/, 'the password is never logged');
    });
  }

  test('receiver.exclusive (RabbitMQ 4.3 refuses transient non-exclusive queues) is a one-line config change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-wire-'));
    const config = join(dir, 'evcam.config.json');
    writeFileSync(config, JSON.stringify({ receiver: { exclusive: true } }));
    const kernel = startKernel(kernelArgs(vhost.url, dir, ['--config', config]));
    try {
      await kernel.waitFor('consuming Celery events');
      const [q] = queueInfo(vhost.vhost);
      assert.deepEqual({ durable: q.durable, auto_delete: q.auto_delete, exclusive: q.exclusive, arguments: q.arguments },
        { durable: false, auto_delete: true, exclusive: true, arguments: { 'x-expires': 60000, 'x-message-ttl': 5000 } });
      assert.equal(await kernel.stop('SIGTERM'), 0, kernel.stderr());
    } finally {
      await kernel.stop('SIGKILL');
    }
    await waitUntil(() => queueInfo(vhost.vhost).length === 0, 'the exclusive queue to go away', { timeoutMs: 10_000 });
  });
});
