import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bool, bytes, duration, parseDuration, port, positiveInt, redactUrl, REDACTED } from './index.js';

test('durations: numbers, unit strings and bare-number strings agree; junk is refused with the hint', () => {
  assert.equal(duration.parse(90), 90);
  assert.equal(duration.parse('90'), 90);
  assert.equal(duration.parse('90s'), 90);
  assert.equal(duration.parse('30m'), 1800);
  assert.equal(duration.parse('1d'), 86_400);
  assert.equal(duration.parse('250ms'), 0.25);
  assert.equal(parseDuration('2w'), 1_209_600);
  for (const bad of ['', 'soon', '-5', '0', 0, '5 years']) {
    const r = duration.safeParse(bad);
    assert.equal(r.success, false, `${String(bad)} should be refused`);
    assert.match(r.error!.issues[0]!.message, /"7d"/);
  }
});

test('sizes, booleans, whole numbers and ports accept their string forms', () => {
  assert.equal(bytes.parse('256MiB'), 256 * 1024 ** 2);
  assert.equal(bytes.parse('2GB'), 2e9);
  assert.equal(bytes.parse(4096), 4096);
  assert.equal(bytes.safeParse('lots').success, false);
  assert.equal(bool.parse('false'), false);
  assert.equal(bool.safeParse('yes').success, false);
  assert.equal(positiveInt.parse('12'), 12);
  assert.equal(positiveInt.safeParse(0).success, false);
  assert.equal(port.parse('9808'), 9808);
  assert.equal(port.safeParse(70_000).success, false);
});

test('redactUrl hides the password and keeps the rest', () => {
  assert.equal(redactUrl('postgres://evcam:s3cret@db:5432/app'), `postgres://evcam:${REDACTED}@db:5432/app`);
  assert.equal(redactUrl('redis://:pw@127.0.0.1:6379/0'), `redis://:${REDACTED}@127.0.0.1:6379/0`);
  assert.equal(redactUrl('amqp://token@host//'), `amqp://${REDACTED}@host//`);
  assert.equal(redactUrl('/var/lib/evcam.db'), '/var/lib/evcam.db');
  assert.equal(redactUrl('connect ECONNREFUSED amqp://u:pw@a:5672// (then https://e:k@b:9200)'),
    `connect ECONNREFUSED amqp://u:${REDACTED}@a:5672// (then https://e:${REDACTED}@b:9200)`, 'every URL inside a message');
});
