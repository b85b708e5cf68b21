import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EvcamError, ErrorCodes } from '@evcam/camera-api';
import { certVerification, eventChannel, parseDb, parseRedisUrl, pidboxChannel } from './redis-url.js';
import { isFatalRedisError, reconnectDelayMs } from './redis.js';

const urlError = (fn: () => unknown, pattern: RegExp): void => {
  assert.throws(fn, (err: unknown) => EvcamError.is(err) && err.code === ErrorCodes.BROKER_URL && pattern.test(err.message));
};

describe('parseRedisUrl: the spellings Celery/kombu accept', () => {
  test('redis:// with password, host, port and database', () => {
    const u = parseRedisUrl('redis://:s3cr%40t@redis.example:6380/5');
    assert.deepEqual({ mode: u.mode, tls: u.tls, host: u.host, port: u.port, username: u.username, password: u.password, db: u.db },
      { mode: 'tcp', tls: false, host: 'redis.example', port: 6380, username: undefined, password: 's3cr@t', db: 5 });
  });

  test('defaults: port 6379, database 0, host 127.0.0.1 (kombu: "" or "/" is DEFAULT_DB)', () => {
    for (const url of ['redis://localhost', 'redis://localhost/', 'redis://localhost:6379//']) {
      const u = parseRedisUrl(url);
      assert.equal(u.port, 6379, url);
      assert.equal(u.db, 0, url);
    }
    assert.equal(parseRedisUrl('redis://').host, '127.0.0.1');
  });

  test('Redis 6 ACL user and password', () => {
    const u = parseRedisUrl('redis://evcam:pw@h:6379/2');
    assert.equal(u.username, 'evcam');
    assert.equal(u.password, 'pw');
  });

  test('IPv6 host loses its brackets', () => {
    assert.equal(parseRedisUrl('redis://[::1]:6379/0').host, '::1');
  });

  test('rediss:// is TLS and keeps ssl_* parameters', () => {
    const u = parseRedisUrl('rediss://h:6380/1?ssl_cert_reqs=none');
    assert.equal(u.tls, true);
    assert.equal(u.db, 1);
    assert.equal(certVerification(u.params), false);
    assert.equal(certVerification(parseRedisUrl('rediss://h/1?ssl_cert_reqs=CERT_REQUIRED').params), true);
    assert.equal(certVerification(parseRedisUrl('rediss://h/1').params), undefined);
    urlError(() => certVerification(parseRedisUrl('rediss://h/1?ssl_cert_reqs=maybe').params), /ssl_cert_reqs=maybe/);
  });

  test('redis+socket:///path?virtual_host=N (kombu) and unix:///path?db=N (redis-py)', () => {
    const k = parseRedisUrl('redis+socket:///var/run/redis/redis.sock?virtual_host=3');
    assert.deepEqual({ mode: k.mode, path: k.path, db: k.db }, { mode: 'socket', path: '/var/run/redis/redis.sock', db: 3 });
    const p = parseRedisUrl('unix:///tmp/r.sock?db=4');
    assert.deepEqual({ mode: p.mode, path: p.path, db: p.db }, { mode: 'socket', path: '/tmp/r.sock', db: 4 });
    assert.equal(parseRedisUrl('redis+socket:///tmp/r.sock').db, 0);
    urlError(() => parseRedisUrl('redis+socket://'), /no socket path/);
  });

  test('sentinel://h1;sentinel://h2: every Sentinel, default port 26379, db and password from the first URL', () => {
    const u = parseRedisUrl('sentinel://:pw@s1:26380/2;sentinel://s2;sentinel://s3:26381');
    assert.equal(u.mode, 'sentinel');
    assert.deepEqual(u.sentinels, [{ host: 's1', port: 26380 }, { host: 's2', port: 26379 }, { host: 's3', port: 26381 }]);
    assert.equal(u.db, 2);
    assert.equal(u.password, 'pw');
    assert.equal(u.notes.length > 0, true, 'differing db/password on later URLs is pointed out');
    const same = parseRedisUrl('sentinel://:pw@s1/2;sentinel://:pw@s2/2');
    assert.deepEqual(same.notes, []);
  });

  test('refuses what kombu refuses, naming the fix', () => {
    urlError(() => parseRedisUrl('redis://h/zero'), /database "zero".*redis:\/\//);
    urlError(() => parseRedisUrl('redis://h1;redis://h2'), /only sentinel:\/\//);
    urlError(() => parseRedisUrl('sentinel://h1;redis://h2'), /mixes "redis:\/\/"/);
    urlError(() => parseRedisUrl('amqp://h//'), /not a Redis transport/);
    urlError(() => parseRedisUrl('localhost:6379'), /no scheme/);
  });

  test('parseDb is kombu\'s _prepare_virtual_host', () => {
    assert.equal(parseDb(undefined), 0);
    assert.equal(parseDb('/'), 0);
    assert.equal(parseDb('/7'), 7, 'redis://h//7');
    assert.equal(parseDb('12'), 12);
  });
});

describe('eventChannel: what kombu subscribes for the celeryev fanout', () => {
  const base = { exchange: 'celeryev', db: 7, globalKeyprefix: '', fanoutPrefix: true, fanoutPatterns: true } as const;

  test('defaults: PSUBSCRIBE /{db}.celeryev/* (binding key # becomes *)', () => {
    assert.deepEqual(eventChannel(base), { channel: '/7.celeryev/*', pattern: true });
  });

  test('the channel every captured message arrived on matches that pattern', () => {
    // the shipped capture's channels, e.g. /7.celeryev/task.multi
    const { channel } = eventChannel(base);
    const glob = new RegExp(`^${channel.replace(/[.]/g, '\\.').replace('*', '.*')}$`);
    for (const rk of ['task.multi', 'task.sent', 'worker.heartbeat', 'custom.hello']) assert.match(`/7.celeryev/${rk}`, glob);
    assert.doesNotMatch('/8.celeryev/task.sent', glob);
  });

  test('global_keyprefix goes first (kombu prefixes PUBLISH and PSUBSCRIBE alike)', () => {
    assert.equal(eventChannel({ ...base, globalKeyprefix: 'prod:' }).channel, 'prod:/7.celeryev/*');
  });

  test('fanout_prefix false: no prefix (pre-3.1 kombu); a string: that string, {db} filled in', () => {
    assert.equal(eventChannel({ ...base, fanoutPrefix: false }).channel, 'celeryev/*');
    assert.equal(eventChannel({ ...base, fanoutPrefix: 'db{db}:' }).channel, 'db7:celeryev/*');
    assert.equal(eventChannel({ ...base, fanoutPrefix: 'fixed.' }).channel, 'fixed.celeryev/*');
  });

  test('fanout_patterns false: one plain channel, SUBSCRIBE rather than PSUBSCRIBE', () => {
    assert.deepEqual(eventChannel({ ...base, fanoutPatterns: false }), { channel: '/7.celeryev', pattern: false });
  });

  test('a renamed event exchange (Celery event_exchange)', () => {
    assert.equal(eventChannel({ ...base, exchange: 'myev', db: 0 }).channel, '/0.myev/*');
  });

  test('the pidbox broadcast channel for the wake-up', () => {
    assert.equal(pidboxChannel({ db: 3, globalKeyprefix: '', fanoutPrefix: true }), '/3.celery.pidbox');
    assert.equal(pidboxChannel({ db: 3, globalKeyprefix: 'p:', fanoutPrefix: false }), 'p:celery.pidbox');
  });
});

describe('reconnect backoff and error triage', () => {
  test('capped exponential, with jitter between half and all of the step', () => {
    const lo = (n: number) => reconnectDelayMs(n, 0.5, 30, () => 0);
    const hi = (n: number) => reconnectDelayMs(n, 0.5, 30, () => 1);
    assert.deepEqual([1, 2, 3, 4].map(hi), [500, 1000, 2000, 4000]);
    assert.deepEqual([1, 2, 3, 4].map(lo), [250, 500, 1000, 2000]);
    assert.equal(hi(50), 30_000, 'capped at maxDelay');
    assert.equal(lo(1000), 15_000, 'never below half the cap once capped');
  });

  test('wrong password, unknown host: fatal at start; refused or reset connections: retried', () => {
    for (const m of ['WRONGPASS invalid username-password pair', 'NOAUTH Authentication required.', 'getaddrinfo ENOTFOUND nope']) {
      assert.equal(isFatalRedisError(new Error(m)), true, m);
    }
    for (const m of ['connect ECONNREFUSED 127.0.0.1:6379', 'read ECONNRESET', 'Connection is closed.']) {
      assert.equal(isFatalRedisError(new Error(m)), false, m);
    }
  });
});
