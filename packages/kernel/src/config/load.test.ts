import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EvcamError } from '@evcam/camera-api';
import { loadConfig, parseCameraOptions } from './load.js';
import { ackMode } from './schema.js';

const project = (files: Record<string, string>): string => {
  const dir = mkdtempSync(join(tmpdir(), 'evcam-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};
const noEnv = {};

describe('config: sources', () => {
  const cases: [string, Record<string, string>][] = [
    ['evcam.config.ts', { 'evcam.config.ts': 'const freq: number = 2.5;\nexport default { freq, broker: "amqp://u:p@h//" };' }],
    ['evcam.config.mjs', { 'evcam.config.mjs': 'export default { freq: 2.5, broker: "amqp://u:p@h//" };' }],
    ['evcam.config.cjs', { 'evcam.config.cjs': 'module.exports = { freq: 2.5, broker: "amqp://u:p@h//" };' }],
    ['evcam.config.json', { 'evcam.config.json': '{"freq": 2.5, "broker": "amqp://u:p@h//"}' }],
    ['.evcamrc (JSON or YAML)', { '.evcamrc': 'freq: 2.5\nbroker: "amqp://u:p@h//"\n' }],
    ['.evcamrc.json', { '.evcamrc.json': '{"freq": 2.5, "broker": "amqp://u:p@h//"}' }],
    ['package.json#evcam', { 'package.json': '{"name":"x","evcam":{"freq":2.5,"broker":"amqp://u:p@h//"}}' }],
  ];
  for (const [name, files] of cases) {
    test(name, async () => {
      const dir = project(files);
      const { config, filepath, configDir } = await loadConfig({ cwd: dir, env: noEnv });
      assert.equal(config.freq, 2.5);
      assert.equal(config.broker, 'amqp://u:p@h//');
      assert.equal(configDir, dir);
      assert.ok(filepath?.startsWith(dir));
    });
  }

  test('no config anywhere: the built-in defaults (local RabbitMQ, file camera, freq 1)', async () => {
    const dir = project({ 'package.json': '{"name":"empty"}' });
    const { config, filepath } = await loadConfig({ cwd: dir, env: noEnv });
    assert.equal(filepath, null);
    assert.equal(config.broker, 'amqp://guest:guest@127.0.0.1:5672//');
    assert.equal(config.freq, 1);
    assert.equal(config.maxTasksInMemory, 10000);
    assert.equal(config.receiver.queueTtl, 5);
  });

  test('found from a subdirectory of the project', async () => {
    const dir = project({ 'package.json': '{"name":"p"}', 'evcam.config.mjs': 'export default { freq: 7 };' });
    mkdirSync(join(dir, 'sub'));
    const { config } = await loadConfig({ cwd: join(dir, 'sub'), env: noEnv });
    assert.equal(config.freq, 7);
  });
});

describe('config: precedence and validation', () => {
  test('defaults < file < environment < flags', async () => {
    const dir = project({ 'evcam.config.mjs': 'export default { broker: "amqp://file//", freq: 3, maxrate: "1/s" };' });
    const fromFile = await loadConfig({ cwd: dir, env: noEnv });
    assert.equal(fromFile.config.broker, 'amqp://file//');
    const fromEnv = await loadConfig({ cwd: dir, env: { EVCAM_BROKER_URL: 'amqp://env//' } });
    assert.equal(fromEnv.config.broker, 'amqp://env//');
    const fromFlags = await loadConfig({ cwd: dir, env: { EVCAM_BROKER_URL: 'amqp://env//' }, overrides: { broker: 'amqp://flag//', freq: 9 } });
    assert.equal(fromFlags.config.broker, 'amqp://flag//');
    assert.equal(fromFlags.config.freq, 9);
    assert.equal(fromFlags.config.maxrate, '1/s', 'keys the flags did not set come from the file');
  });

  test('a validation error names the file and the key', async () => {
    const dir = project({ 'evcam.config.mjs': 'export default { freq: "fast", receiver: { prefetch: 0 }, nope: 1 };' });
    await assert.rejects(loadConfig({ cwd: dir, env: noEnv }), (err: unknown) => {
      assert.ok(EvcamError.is(err));
      assert.equal(err.code, 'EVCAM_ERR_CONFIG_INVALID');
      assert.ok(err.message.includes(join(dir, 'evcam.config.mjs')), err.message);
      for (const key of ['freq', 'receiver.prefetch', 'nope']) assert.ok(err.message.includes(key), `${key} in ${err.message}`);
      return true;
    });
  });

  test('receiver.acks: auto picks by queue and checkpoint; fold and checkpoint without what they need are refused', async () => {
    const dir = project({});
    const resolved = async (overrides: Record<string, unknown>) => ackMode((await loadConfig({ cwd: dir, env: noEnv, overrides })).config);
    assert.equal(await resolved({}), 'none', 'no named queue: nothing to ack');
    assert.equal(await resolved({ receiver: { queue: 'q' } }), 'checkpoint', 'no-loss mode checkpoints by default');
    assert.equal(await resolved({ receiver: { queue: 'q' }, checkpoint: { enabled: false } }), 'fold');
    assert.equal(await resolved({ receiver: { queue: 'q' }, checkpoint: false }), 'fold', 'checkpoint: false is the config form of --no-checkpoint');
    assert.equal(await resolved({ receiver: { queue: 'q' }, checkpoint: { file: 'c.json' } }), 'checkpoint');
    assert.equal(await resolved({ receiver: { queue: 'q', acks: 'none' }, checkpoint: { file: 'c.json' } }), 'none');
    assert.equal(await resolved({ receiver: { queue: 'q', acks: 'fold' }, checkpoint: { file: 'c.json' } }), 'fold');
    for (const [overrides, message] of [
      [{ receiver: { acks: 'fold' } }, /receiver\.acks: 'fold' needs a named queue/],
      [{ receiver: { queue: 'q', acks: 'checkpoint' }, checkpoint: false }, /receiver\.acks: 'checkpoint' needs checkpoints/],
      [{ receiver: { queue: 'q', acks: 'sometimes' } }, /receiver\.acks/],
    ] as const) {
      await assert.rejects(loadConfig({ cwd: dir, env: noEnv, overrides: overrides as Record<string, unknown> }),
        (err: unknown) => EvcamError.is(err) && err.code === 'EVCAM_ERR_CONFIG_INVALID' && message.test(err.message));
    }
  });

  test('no-loss mode checkpoints to a per-queue file in the state directory; a file named wins; none without a queue', async () => {
    const dir = project({});
    const load = async (overrides: Record<string, unknown>, env: NodeJS.ProcessEnv = { XDG_STATE_HOME: '/srv/state' }) =>
      (await loadConfig({ cwd: dir, env, overrides })).config.checkpoint;
    assert.equal((await load({ receiver: { queue: 'evq' } }))?.file, '/srv/state/evcam/evq@127.0.0.1_5672.checkpoint.json');
    assert.equal((await load({ receiver: { queue: 'evq' }, checkpoint: { file: '/tmp/c.json' } }))?.file, '/tmp/c.json');
    assert.equal((await load({ receiver: { queue: 'evq' }, checkpoint: false }))?.file, undefined);
    assert.equal((await load({}))?.file, undefined, 'Celery\'s transient queue: unchanged, no checkpoint');
  });

  test('ha: each node consumes its own no-loss queue <queue>.<node>, checkpointed per node; Redis keeps its pub/sub', async () => {
    const dir = project({});
    const env = { XDG_STATE_HOME: '/srv/state' };
    const amqp = (await loadConfig({ cwd: dir, env, overrides: { ha: { group: 'prod', node: 'a' } } })).config;
    assert.equal(amqp.receiver.queue, 'evcam.prod.a');
    assert.equal(amqp.checkpoint?.file, '/srv/state/evcam/evcam.prod.a@127.0.0.1_5672.checkpoint.json');
    assert.equal(amqp.checkpoint?.interval, amqp.freq, 'a standby takes no shutters: checkpoints every freq');
    assert.equal(amqp.ha?.lease, 4, 'default: a killed leader is replaced within 5 s on Redis too');
    const named = (await loadConfig({ cwd: dir, env, overrides: { receiver: { queue: 'ev' }, ha: { group: 'prod', node: 'b', lease: '4s' } } })).config;
    assert.equal(named.receiver.queue, 'ev.b');
    assert.equal(named.ha?.lease, 4);
    const shared = (await loadConfig({ cwd: dir, env, overrides: { checkpoint: { file: '/srv/cp.json' }, ha: { group: 'prod', node: 'a' } } })).config;
    assert.equal(shared.checkpoint?.file, '/srv/cp.a.json', 'two nodes configured alike on one host never share a checkpoint');
    const redis = (await loadConfig({ cwd: dir, env, overrides: { broker: 'redis://127.0.0.1:6379/0', ha: { group: 'prod', node: 'a' } } })).config;
    assert.equal(redis.receiver.queue, undefined);
    await assert.rejects(loadConfig({ cwd: dir, env, overrides: { ha: { group: 'a b' } } }),
      (err: unknown) => EvcamError.is(err) && /ha\.group/.test(err.message));
  });

  test('--config pointing nowhere is a clear error', async () => {
    await assert.rejects(loadConfig({ configPath: '/nonexistent/evcam.config.ts', env: noEnv }),
      (err: unknown) => EvcamError.is(err) && err.code === 'EVCAM_ERR_CONFIG_NOT_FOUND');
  });

  test('--camera-option: dotted keys nest, values parse as JSON where they can', () => {
    assert.deepEqual(parseCameraOptions(['bucket=b', 'gzip=false', 'keep=5', 'tls.ca=./ca.pem', 'tags=["a"]']),
      { bucket: 'b', gzip: false, keep: 5, tls: { ca: './ca.pem' }, tags: ['a'] });
    assert.throws(() => parseCameraOptions(['novalue']), (err: unknown) => EvcamError.is(err) && err.code === 'EVCAM_ERR_USAGE');
  });

  test('--camera for the configured camera keeps its file options; another camera replaces them', async () => {
    const dir = project({ 'evcam.config.mjs': 'export default { camera: "file", cameraOptions: { dir: "./snaps", keep: 3 } };' });
    const same = await loadConfig({ cwd: dir, env: noEnv, camera: { name: 'file', options: { keep: 9 } } });
    assert.deepEqual(same.config.cameras, [{ use: 'file', options: { dir: './snaps', keep: 9 } }]);
    const other = await loadConfig({ cwd: dir, env: noEnv, camera: { name: 's3', options: { bucket: 'b' } } });
    assert.deepEqual(other.config.cameras, [{ use: 's3', options: { bucket: 'b' } }]);
  });
});
