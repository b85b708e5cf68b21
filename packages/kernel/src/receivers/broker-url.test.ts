import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EvcamError } from '@evcam/camera-api';
import { brokerKind, parseAmqpUrl } from './broker-url.js';

/** The parts that decide where and as whom we connect. */
const parts = (url: string) => {
  const { protocol, hostname, port, username, password, vhost } = parseAmqpUrl(url);
  return { protocol, hostname, port, username, password, vhost };
};

const brokerUrlError = (err: unknown): boolean => EvcamError.is(err) && err.code === 'EVCAM_ERR_BROKER_URL';

describe('broker URLs as Celery users write them (kombu rules)', () => {
  test('amqp://user:pass@host:port/vhost', () => {
    assert.deepEqual(parts('amqp://evcam:s3cret@rabbit.internal:5673/prod'),
      { protocol: 'amqp', hostname: 'rabbit.internal', port: 5673, username: 'evcam', password: 's3cret', vhost: 'prod' });
  });

  test('`//`, `/`, no path and %2F all mean vhost "/"', () => {
    for (const url of ['amqp://guest:guest@localhost:5672//', 'amqp://localhost/', 'amqp://localhost', 'amqp://localhost/%2F']) {
      assert.equal(parseAmqpUrl(url).vhost, '/', url);
    }
  });

  test('percent-encoded vhost, user and password are decoded', () => {
    assert.deepEqual(parts('amqp://us%40er:p%40ss%3Aw%2Frd@h/team%2Fa'),
      { protocol: 'amqp', hostname: 'h', port: 5672, username: 'us@er', password: 'p@ss:w/rd', vhost: 'team/a' });
  });

  test("kombu's defaults: guest/guest, port 5672, 5671 for amqps", () => {
    assert.deepEqual(parts('amqp://h//'), { protocol: 'amqp', hostname: 'h', port: 5672, username: 'guest', password: 'guest', vhost: '/' });
    assert.equal(parseAmqpUrl('amqp://user@h//').password, 'guest');
    assert.deepEqual(parts('amqps://h//'), { protocol: 'amqps', hostname: 'h', port: 5671, username: 'guest', password: 'guest', vhost: '/' });
    assert.equal(parseAmqpUrl('amqps://h:5999//').port, 5999);
  });

  test("kombu's transport aliases: pyamqp, librabbitmq, pyamqps, any case", () => {
    assert.equal(parseAmqpUrl('pyamqp://h//').protocol, 'amqp');
    assert.equal(parseAmqpUrl('librabbitmq://h//').protocol, 'amqp');
    assert.equal(parseAmqpUrl('pyamqps://h//').protocol, 'amqps');
    assert.equal(parseAmqpUrl('AMQP://h//').protocol, 'amqp');
  });

  test('query parameters (heartbeat, ...) are kept for the receiver', () => {
    assert.equal(parseAmqpUrl('amqp://h//?heartbeat=10').params.get('heartbeat'), '10');
  });

  test('an IPv6 literal is a connectable host, without brackets', () => {
    assert.deepEqual(parts('amqp://guest:guest@[::1]:5672//'),
      { protocol: 'amqp', hostname: '::1', port: 5672, username: 'guest', password: 'guest', vhost: '/' });
  });

  test('a Redis URL is not an AMQP URL: refused, never half-parsed', () => {
    for (const url of ['redis://h:6379/0', 'sentinel://h:26379']) {
      assert.throws(() => parseAmqpUrl(url), brokerUrlError, url);
    }
  });

  test('malformed URLs are refused with EVCAM_ERR_BROKER_URL and an example', () => {
    assert.throws(() => parseAmqpUrl('amqp://h:99999//'), (err) => brokerUrlError(err) && /amqp:\/\/user:password@host:5672\/vhost/.test((err as Error).message));
    assert.throws(() => parseAmqpUrl('not a url'), brokerUrlError);
  });
});

describe('brokerKind', () => {
  test('picks the receiver from the scheme', () => {
    for (const url of ['amqp://h//', 'amqps://h//', 'pyamqp://h//']) assert.equal(brokerKind(url), 'amqp', url);
    for (const url of ['redis://h:6379/0', 'rediss://h:6380/0', 'redis+socket:///tmp/r.sock', 'sentinel://h:26379']) assert.equal(brokerKind(url), 'redis', url);
  });

  test('an unknown scheme says which ones work', () => {
    assert.throws(() => brokerKind('http://h/'), (err) => brokerUrlError(err) && /"http:".*amqp:\/\/.*redis:\/\//.test((err as Error).message));
    assert.throws(() => brokerKind('localhost:5672'), brokerUrlError);
  });
});
