// What the AMQP receiver declares, per mode (celery-events §1.3), without a broker.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EvcamError, ErrorCodes } from '@evcam/camera-api';
import { receiverSchema, type ReceiverConfig } from '../config/schema.js';
import { celeryQueueOptions, eventQueueName, namedQueueOptions } from './amqp-queue.js';

const receiver = (over: Record<string, unknown> = {}): ReceiverConfig => receiverSchema.parse(over);

describe('eventQueueName', () => {
  test('Celery mode: <event_queue_prefix>.<node_id>; no-loss mode: the named queue', () => {
    assert.equal(eventQueueName(receiver(), '0b6e'), 'celeryev.0b6e');
    assert.equal(eventQueueName(receiver({ queuePrefix: 'ev' }), 'n1'), 'ev.n1');
    assert.equal(eventQueueName(receiver({ queue: 'evcam.events' }), 'n1'), 'evcam.events');
  });
});

describe('celeryQueueOptions (Celery\'s EventReceiver queue)', () => {
  test('defaults: transient, auto-delete, not exclusive, x-message-ttl 5000, x-expires 60000', () => {
    assert.deepEqual(celeryQueueOptions(receiver()), {
      durable: false, autoDelete: true, exclusive: false, arguments: { 'x-message-ttl': 5000, 'x-expires': 60000 },
    });
  });

  test('seconds become whole milliseconds as kombu does (int(v * 1000)); null omits the argument', () => {
    assert.deepEqual(celeryQueueOptions(receiver({ queueTtl: 2.9999, queueExpires: 0.0015 })).arguments, { 'x-message-ttl': 2999, 'x-expires': 1 });
    assert.deepEqual(celeryQueueOptions(receiver({ queueTtl: null })).arguments, { 'x-expires': 60000 });
    assert.deepEqual(celeryQueueOptions(receiver({ queueTtl: null, queueExpires: null })).arguments, {});
  });

  test('Celery 5.6 event_queue_durable / event_queue_exclusive: durable is not auto-delete; both at once is refused', () => {
    assert.deepEqual(celeryQueueOptions(receiver({ durable: true })), {
      durable: true, autoDelete: false, exclusive: false, arguments: { 'x-message-ttl': 5000, 'x-expires': 60000 },
    });
    const exclusive = celeryQueueOptions(receiver({ exclusive: true }));
    assert.deepEqual([exclusive.durable, exclusive.autoDelete, exclusive.exclusive], [false, true, true]);
    assert.throws(() => celeryQueueOptions(receiver({ durable: true, exclusive: true })),
      (err: unknown) => EvcamError.is(err) && err.code === ErrorCodes.CONFIG_INVALID && /durable and receiver.exclusive/.test(err.message));
  });
});

describe('namedQueueOptions (no-loss mode)', () => {
  test('durable, kept, not exclusive; expires after a week unused; no message TTL', () => {
    assert.deepEqual(namedQueueOptions(receiver({ queue: 'q' })), {
      durable: true, autoDelete: false, exclusive: false, arguments: { 'x-expires': 7 * 24 * 3600 * 1000 },
    });
  });

  test('x-max-length with its overflow policy; namedQueueExpires null omits x-expires', () => {
    assert.deepEqual(namedQueueOptions(receiver({ queue: 'q', maxLength: 1000, namedQueueExpires: null })).arguments,
      { 'x-max-length': 1000, 'x-overflow': 'drop-head' });
    assert.deepEqual(namedQueueOptions(receiver({ queue: 'q', maxLength: 5, overflow: 'reject-publish', namedQueueExpires: 90.5 })).arguments,
      { 'x-expires': 90500, 'x-max-length': 5, 'x-overflow': 'reject-publish' });
  });

  test('Celery mode settings (ttl, durable/exclusive) do not leak into the named queue', () => {
    const opts = namedQueueOptions(receiver({ queue: 'q', queueTtl: 1, exclusive: true }));
    assert.deepEqual([opts.exclusive, 'x-message-ttl' in (opts.arguments ?? {})], [false, false]);
  });
});
