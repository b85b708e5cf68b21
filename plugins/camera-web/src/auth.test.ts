import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { Authenticator, hashPassword, isPasswordHash, readCookie, verifyPassword } from './auth.js';

const cheap = { N: 1024, r: 8, p: 1 };
const req = (headers: Record<string, string>): IncomingMessage => ({ headers } as unknown as IncomingMessage);
const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('passwords', () => {
  test('scrypt hashes in the documented format verify the password and nothing else', async () => {
    const hash = await hashPassword('correct horse', cheap);
    assert.match(hash, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.ok(isPasswordHash(hash));
    assert.equal(await verifyPassword('correct horse', hash), true);
    assert.equal(await verifyPassword('correct horsE', hash), false);
    assert.notEqual(await hashPassword('correct horse', cheap), hash, 'salted');
  });
});

describe('Authenticator', () => {
  test('without token or users everyone is let in', async () => {
    assert.equal(await new Authenticator({}).allows(req({})), true);
  });

  test('token: Bearer header or cookie, nothing else', async () => {
    const auth = new Authenticator({ token: 't'.repeat(20) });
    assert.equal(await auth.allows(req({})), false);
    assert.equal(await auth.allows(req({ authorization: `Bearer ${'t'.repeat(20)}` })), true);
    assert.equal(await auth.allows(req({ authorization: `Bearer ${'t'.repeat(19)}` })), false);
    assert.equal(await auth.allows(req({ cookie: `a=1; evcam_token=${'t'.repeat(20)}` })), true);
    assert.equal(await auth.allows(req({ cookie: 'evcam_token=nope' })), false);
  });

  test('users: basic auth against the hash; unknown users and wrong passwords refused', async () => {
    const auth = new Authenticator({ users: { alice: await hashPassword('s3cret', cheap) } });
    assert.equal(await auth.allows(req({ authorization: basic('alice', 's3cret') })), true);
    assert.equal(await auth.allows(req({ authorization: basic('alice', 's3cret') })), true, 'cached verdict');
    assert.equal(await auth.allows(req({ authorization: basic('alice', 'wrong') })), false);
    assert.equal(await auth.allows(req({ authorization: basic('bob', 's3cret') })), false);
    assert.equal(await auth.allows(req({ authorization: basic('__proto__', 'x') })), false);
    assert.equal(await auth.allows(req({})), false);
  });

  test('cookies are parsed by name', () => {
    assert.equal(readCookie('a=1; evcam_token=x%20y', 'evcam_token'), 'x y');
    assert.equal(readCookie('a=1', 'evcam_token'), null);
    assert.equal(readCookie(undefined, 'evcam_token'), null);
  });
});
