// The Redis receiver against the real local Redis (127.0.0.1:6379). Each test run
// publishes under its own global_keyprefix, so nothing reaches anyone else's channels.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { EvcamError, ErrorCodes, type Logger } from '@evcam/camera-api';
import { waitUntil as waitFor } from '@evcam/retry';
import { Redis } from 'ioredis';
import { configSchema, type EvcamConfig } from '../config/schema.js';
import { Ingestor } from '../ingest/ingestor.js';
import { SystemClock } from '../runtime/clock.js';
import { CeleryState } from '../state/state.js';
import { RedisReceiver, type RedisReceiverHealth } from './redis.js';

const DB = 11;
const PREFIX = `evcam-test-${randomUUID().slice(0, 8)}:`;

interface LogLine { level: string; obj: Record<string, unknown>; msg: string }
function recordingLogger(lines: LogLine[]): Logger {
  const at = (level: string) => (obj: object | string, msg?: string) => {
    lines.push(typeof obj === 'string' ? { level, obj: {}, msg: obj } : { level, obj: obj as Record<string, unknown>, msg: msg ?? '' });
  };
  const logger: Logger = {
    trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal'),
    child: () => logger,
  };
  return logger;
}

/** A message exactly as kombu's Redis transport publishes it (body base64 unless said otherwise). */
function kombuEnvelope(body: unknown, o: { contentType?: string; raw?: boolean; routingKey?: string } = {}): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return JSON.stringify({
    body: o.raw ? text : Buffer.from(text).toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': o.contentType ?? 'application/json',
    headers: { hostname: 'w1@lab' },
    properties: {
      delivery_mode: 1, priority: 0, body_encoding: o.raw ? undefined : 'base64', delivery_tag: randomUUID(),
      delivery_info: { exchange: 'celeryev', routing_key: o.routingKey ?? 'task.multi' },
    },
  });
}

const now = () => Date.now() / 1000;
const taskEvent = (type: string, uuid: string, extra: Record<string, unknown> = {}) =>
  ({ type, uuid, hostname: 'w1@lab', timestamp: now(), utcoffset: 0, pid: 1, clock: 1, ...extra });

interface Rig { receiver: RedisReceiver; ingestor: Ingestor; state: CeleryState; logs: LogLine[] }
function rig(config: EvcamConfig = {}): Rig {
  const resolved = configSchema.parse({
    broker: `redis://127.0.0.1:6379/${DB}`,
    ...config,
    receiver: {
      reconnect: { minDelay: 0.05, maxDelay: 0.2 }, wakeup: false,
      ...config.receiver,
      redis: { globalKeyprefix: PREFIX, clientName: `evcam-test-${randomUUID().slice(0, 8)}`, ...config.receiver?.redis },
    },
  });
  const logs: LogLine[] = [];
  const logger = recordingLogger(logs);
  const state = new CeleryState({}, logger);
  const ingestor = new Ingestor(state, logger, { maxBodyBytes: resolved.receiver.maxBodyBytes });
  return { receiver: new RedisReceiver(resolved, process.cwd(), ingestor, logger, new SystemClock()), ingestor, state, logs };
}

/** The kit's one waitUntil (it lives in @evcam/retry: the kernel cannot depend on the kit), polling fast. */
const waitUntil = (check: () => boolean, what: string) => waitFor(check, what, { timeoutMs: 10_000, intervalMs: 20 });

describe('RedisReceiver on the real Redis', () => {
  let pub: Redis;
  before(async () => { pub = new Redis({ port: 6379, host: '127.0.0.1', lazyConnect: true }); await pub.connect(); });
  after(async () => { await pub.quit(); });
  const channel = (rk: string) => `${PREFIX}/${DB}.celeryev/${rk}`;

  test('subscribes the kombu pattern and folds task.multi arrays through the same Ingestor and State', async () => {
    const { receiver, ingestor, state } = rig();
    await receiver.start();
    try {
      assert.equal(receiver.health().connected, true);
      assert.equal((receiver.health() as RedisReceiverHealth).channel, `${PREFIX}/${DB}.celeryev/*`);
      const id = randomUUID();
      await pub.publish(channel('task.sent'), kombuEnvelope(taskEvent('task-sent', id, { name: 'tasks.add' }), { routingKey: 'task.sent' }));
      await pub.publish(channel('task.multi'), kombuEnvelope([taskEvent('task-received', id, { name: 'tasks.add' }), taskEvent('task-started', id)]));
      await pub.publish(channel('task.multi'), kombuEnvelope([taskEvent('task-succeeded', id, { result: '3', runtime: 0.1 })], { raw: true }));
      await pub.publish(channel('task.multi'), kombuEnvelope([]));
      await waitUntil(() => ingestor.metrics.messages === 4, '4 messages');
      assert.equal(ingestor.metrics.folded, 4);
      assert.equal(state.eventCount, 4);
      assert.equal(state.taskCount, 1);
      assert.equal(ingestor.metrics.badTotal(), 0);
    } finally {
      await receiver.stop();
    }
  });

  test('broken envelopes, refused content types and bad bodies: counted like the AMQP receiver, never folded', async () => {
    const { receiver, ingestor } = rig();
    await receiver.start();
    try {
      const id = randomUUID();
      const sent = [
        '{not json',                                                              // bad-envelope
        JSON.stringify({ 'content-type': 'application/json' }),                   // bad-envelope: no body
        '',                                                                       // bad-envelope: empty publish
        kombuEnvelope('gASVAAAAAAAAAAB9lC4=', { contentType: 'application/x-python-serialize', raw: true }), // content-type
        kombuEnvelope('{"type": "task-sent", ', { raw: true }),                   // invalid-json
        kombuEnvelope([{ uuid: id, hostname: 'w1@lab', timestamp: now() }]),      // missing-type (inside task.multi)
        kombuEnvelope(taskEvent('task-sent', id), { routingKey: 'task.sent' }),  // fine
      ];
      for (const data of sent) await pub.publish(channel('task.multi'), data);
      await waitUntil(() => ingestor.metrics.messages === sent.length, `${sent.length} messages`);
      assert.deepEqual(Object.fromEntries(ingestor.metrics.bad),
        { 'bad-envelope': 3, 'content-type': 1, 'invalid-json': 1, 'missing-type': 1 });
      assert.equal(ingestor.metrics.folded, 1);
    } finally {
      await receiver.stop();
    }
  });

  test('ignores channels outside its database and prefix (another db\'s workers)', async () => {
    const { receiver, ingestor } = rig();
    await receiver.start();
    try {
      await pub.publish(`${PREFIX}/${DB + 1}.celeryev/task.sent`, kombuEnvelope(taskEvent('task-sent', randomUUID())));
      await pub.publish(`/${DB}.celeryev/task.sent`.replace(/^/, 'other:'), kombuEnvelope(taskEvent('task-sent', randomUUID())));
      await pub.publish(channel('task.sent'), kombuEnvelope(taskEvent('task-sent', randomUUID())));
      await waitUntil(() => ingestor.metrics.messages >= 1, 'the one message on our channel');
      await pub.ping(); // everything published before has been delivered by now
      assert.equal(ingestor.metrics.messages, 1);
    } finally {
      await receiver.stop();
    }
  });

  test('fanoutPatterns false: SUBSCRIBE to <prefix><exchange> exactly', async () => {
    const { receiver, ingestor } = rig({ receiver: { redis: { fanoutPatterns: false } } });
    await receiver.start();
    try {
      await pub.publish(`${PREFIX}/${DB}.celeryev`, kombuEnvelope(taskEvent('task-sent', randomUUID())));
      await waitUntil(() => ingestor.metrics.folded === 1, 'the event on the plain channel');
    } finally {
      await receiver.stop();
    }
  });

  test('a killed subscription reconnects, resubscribes, and reports the gap in health and logs', async () => {
    const { receiver, ingestor, logs } = rig();
    await receiver.start();
    try {
      const name = (receiver as unknown as { settings: { redis: { clientName: string } } }).settings.redis.clientName;
      const list = await pub.client('LIST') as string;
      const id = list.split('\n').find((l) => l.includes(` name=${name} `))?.match(/^id=(\d+)/)?.[1];
      assert.ok(id, `our connection (${name}) is in CLIENT LIST`);
      await pub.client('KILL', 'ID', id);
      await waitUntil(() => (receiver.health() as RedisReceiverHealth).gaps === 1, 'the resubscription');
      const health = receiver.health() as RedisReceiverHealth;
      assert.equal(health.connected, true);
      assert.equal(health.reconnects, 1);
      assert.ok(health.lastGapSecs !== null && health.lastGapSecs > 0);
      assert.equal(health.disconnectedSecs, health.lastGapSecs);
      const lost = logs.find((l) => l.level === 'warn' && /lost the Redis connection/.test(l.msg));
      const gap = logs.find((l) => l.level === 'warn' && /after a gap/.test(l.msg));
      assert.ok(lost, 'the loss is logged');
      assert.ok(gap && typeof gap.obj.gapSecs === 'number' && typeof gap.obj.from === 'string' && typeof gap.obj.to === 'string',
        'the gap is logged with its length and window');
      await pub.publish(channel('task.sent'), kombuEnvelope(taskEvent('task-sent', randomUUID())));
      await waitUntil(() => ingestor.metrics.folded === 1, 'events after the gap');
    } finally {
      await receiver.stop();
    }
  });

  test('pause() stops taking events; stop() closes the connection', async () => {
    const { receiver, ingestor } = rig();
    await receiver.start();
    await receiver.pause();
    await pub.publish(channel('task.sent'), kombuEnvelope(taskEvent('task-sent', randomUUID())));
    await pub.ping();
    assert.equal(ingestor.metrics.messages, 0);
    await receiver.stop();
    assert.equal(receiver.health().connected, false);
  });

  test('refused credentials fail start() with EVCAM_ERR_BROKER_CONNECT', async () => {
    const { receiver } = rig({ broker: `redis://no-such-user:pw@127.0.0.1:6379/${DB}` });
    await assert.rejects(receiver.start(), (err: unknown) => EvcamError.is(err) && err.code === ErrorCodes.BROKER_CONNECT
      && /password, user and database/.test(err.message) && !err.message.includes(':pw@'));
    await receiver.stop();
  });

  test('a Redis that is down is retried in the background, start() does not fail', async () => {
    const { receiver, logs } = rig({ broker: 'redis://127.0.0.1:1/0' });
    await receiver.start();
    try {
      const health = receiver.health();
      assert.equal(health.connected, false);
      assert.match(health.lastError ?? '', /ECONNREFUSED/);
      assert.ok(logs.some((l) => /not reachable; retrying in the background/.test(l.msg)));
    } finally {
      await receiver.stop();
    }
  });

  test('sentinel:// without receiver.redis.sentinelMaster is a configuration error naming the option', async () => {
    const { receiver } = rig({ broker: 'sentinel://127.0.0.1:26379/0' });
    await assert.rejects(receiver.start(), (err: unknown) => EvcamError.is(err) && err.code === ErrorCodes.CONFIG_INVALID
      && /sentinelMaster/.test(err.message));
    await receiver.stop();
  });
});
