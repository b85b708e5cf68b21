import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseOptionsWith } from '@evcam/camera-testkit';
import { hashPassword } from './auth.js';
import { isLoopbackHost, optionsSchema } from './options.js';

describe('web camera options', () => {
  test('defaults: loopback, Flower\'s port, no auth needed', () => {
    const o = parseOptionsWith(optionsSchema, {});
    assert.equal(o.host, '127.0.0.1');
    assert.equal(o.port, 5555);
    assert.equal(o.token, undefined);
  });

  test('a non-loopback bind without token or users is refused, naming the fix', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'dashboard.example.com']) {
      assert.throws(() => parseOptionsWith(optionsSchema, { host }), /host: .*not a loopback address.*Set token .* or users/);
    }
  });

  test('a non-loopback bind with a token or users is accepted', async () => {
    assert.equal(parseOptionsWith(optionsSchema, { host: '0.0.0.0', token: 'x'.repeat(32) }).host, '0.0.0.0');
    const users = { alice: await hashPassword('secret', { N: 1024, r: 8, p: 1 }) };
    assert.deepEqual(parseOptionsWith(optionsSchema, { host: '0.0.0.0', users }).users, users);
  });

  test('a password instead of its hash, a short token and a bad port are refused', () => {
    assert.throws(() => parseOptionsWith(optionsSchema, { users: { alice: 'hunter2' } }), /users.alice: must be a password hash/);
    assert.throws(() => parseOptionsWith(optionsSchema, { token: 'short' }), /token: must be at least 16/);
    assert.throws(() => parseOptionsWith(optionsSchema, { port: '70000' }), /port: must be a port number/);
    assert.equal(parseOptionsWith(optionsSchema, { port: '0' }).port, 0);
  });

  test('loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', 'app.localhost']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['0.0.0.0', '::', '192.168.1.2', 'example.com', '128.0.0.1', '::ffff:10.0.0.1']) assert.ok(!isLoopbackHost(h), h);
  });
});
