// amqps:// and rediss:// end to end: the kernel speaks real TLS (verifying the server
// certificate against receiver.tls.ca) to the local RabbitMQ and Redis through a TLS terminator.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { waitUntil } from '@evcam/camera-testkit';
import type { Golden } from './helpers/golden.js';
import { runKernel, startKernel } from './helpers/kernel-process.js';
import { createVhost, publishCaptured } from './helpers/rabbit.js';
import { storedState } from './helpers/stored.js';
import { startTlsProxy, type TlsProxy } from './helpers/tls-proxy.js';

const event = (uuid: string) => ({
  type: 'task-received', uuid, hostname: 'w1@tls', timestamp: 1795514300.5, clock: 3, utcoffset: 0, pid: 1,
  name: 'tasks.add', args: '(1, 2)', kwargs: '{}', retries: 0, eta: null, expires: null, root_id: uuid, parent_id: null,
});

/** Waits until the file camera whose latest.json is `file` has stored `uuid` (keyframe + deltas). */
async function waitForTask(file: string, uuid: string): Promise<Golden> {
  let snap: Golden | null = null;
  await waitUntil(async () => (snap = await storedState<Golden>(dirname(file)))?.tasks[uuid] !== undefined, `${uuid} stored in ${dirname(file)}`, { timeoutMs: 20_000 });
  return snap!;
}

function configWithCa(dir: string, caFile: string): string {
  const config = join(dir, 'evcam.config.json');
  writeFileSync(config, JSON.stringify({ receiver: { tls: { ca: caFile } } }));
  return config;
}

describe('TLS brokers', () => {
  let vhost: ReturnType<typeof createVhost>;
  let amqpTls: TlsProxy;
  let redisTls: TlsProxy;
  before(async () => {
    vhost = createVhost('evcam-tls');
    amqpTls = await startTlsProxy(5672);
    redisTls = await startTlsProxy(6379);
  });
  after(async () => {
    await amqpTls.close();
    await redisTls.close();
    vhost.remove();
  });

  test('amqps:// with receiver.tls.ca consumes over TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-amqps-'));
    const url = `amqps://guest:guest@127.0.0.1:${amqpTls.port}/${encodeURIComponent(vhost.vhost)}`;
    const kernel = startKernel(['--config', configWithCa(dir, amqpTls.caFile), '-b', url, '--camera', 'file',
      '--camera-option', `dir=${join(dir, 'snaps')}`, '-F', '0.2', '-l', 'info']);
    try {
      await kernel.waitFor('consuming Celery events');
      assert.ok(amqpTls.connections() >= 1, 'the kernel connected through TLS');
      await publishCaptured(vhost.url, [{ routing_key: 'task.received', body: JSON.stringify(event('tls-amqp')),
        properties: { content_type: 'application/json', content_encoding: 'utf-8' } }]);
      const snap = await waitForTask(join(dir, 'snaps', 'latest.json'), 'tls-amqp');
      assert.equal(snap.tasks['tls-amqp'].state, 'RECEIVED');
      assert.equal(await kernel.stop('SIGTERM'), 0, kernel.stderr());
    } finally {
      await kernel.stop('SIGKILL');
    }
  });

  test('amqps:// refuses a server whose certificate it cannot verify', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-amqps-untrusted-'));
    const url = `amqps://guest:guest@127.0.0.1:${amqpTls.port}/${encodeURIComponent(vhost.vhost)}`;
    const run = await runKernel(['-b', url, '--camera-option', `dir=${dir}`, '--limit', '1', '-l', 'warn'], { cwd: dir, timeoutMs: 5_000 });
    assert.equal(run.code, 69, 'without the CA the kernel must not consume: a user error, not an outage');
    assert.match(run.stderr, /EVCAM_ERR_BROKER_CONNECT: .*self[- ]signed certificate.*receiver\.tls/);
  });

  test('rediss:// with receiver.tls.ca subscribes over TLS', async () => {
    const db = 13;
    const dir = mkdtempSync(join(tmpdir(), 'evcam-rediss-'));
    const kernel = startKernel(['--config', configWithCa(dir, redisTls.caFile), '-b', `rediss://127.0.0.1:${redisTls.port}/${db}`,
      '--camera', 'file', '--camera-option', `dir=${join(dir, 'snaps')}`, '-F', '0.2', '-l', 'info']);
    const publisher = new Redis({ host: '127.0.0.1', port: 6379, db, lazyConnect: true });
    try {
      await kernel.waitFor('consuming Celery events');
      assert.ok(redisTls.connections() >= 1, 'the kernel connected through TLS');
      await publisher.connect();
      const envelope = {
        body: Buffer.from(JSON.stringify(event('tls-redis'))).toString('base64'), 'content-encoding': 'utf-8', 'content-type': 'application/json',
        headers: { hostname: 'w1@tls' }, properties: { delivery_mode: 1, delivery_info: { exchange: 'celeryev', routing_key: 'task.received' },
          priority: 0, body_encoding: 'base64', delivery_tag: 'x' },
      };
      await publisher.publish(`/${db}.celeryev/task.received`, JSON.stringify(envelope));
      const snap = await waitForTask(join(dir, 'snaps', 'latest.json'), 'tls-redis');
      assert.equal(snap.tasks['tls-redis'].worker, 'w1@tls');
      assert.equal(await kernel.stop('SIGTERM'), 0, kernel.stderr());
    } finally {
      publisher.disconnect();
      await kernel.stop('SIGKILL');
    }
  });
});
