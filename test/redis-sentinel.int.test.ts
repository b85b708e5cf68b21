// sentinel:// end to end: a real Redis Sentinel (started by the test, stopped in every case)
// monitoring the local Redis; the kernel asks it for the master and subscribes there.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { waitForLatest } from './helpers/celery.js';
import { startKernel } from './helpers/kernel-process.js';

const freePort = (): Promise<number> => new Promise((resolve) => {
  const srv = createServer().listen(0, '127.0.0.1', () => {
    const { port } = srv.address() as AddressInfo;
    srv.close(() => resolve(port));
  });
});

test('sentinel://host:port/db with receiver.redis.sentinelMaster finds the master and folds its events', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'evcam-sentinel-'));
  const port = await freePort();
  writeFileSync(join(dir, 'sentinel.conf'), `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor evcam-master 127.0.0.1 6379 1\n`);
  const sentinel = spawn('redis-server', [join(dir, 'sentinel.conf'), '--sentinel'], { stdio: 'ignore' });
  const config = join(dir, 'evcam.config.json');
  writeFileSync(config, JSON.stringify({ receiver: { redis: { sentinelMaster: 'evcam-master' } } }));
  const db = 6;
  const publisher = new Redis({ host: '127.0.0.1', port: 6379, db, lazyConnect: true });
  let kernel: ReturnType<typeof startKernel> | undefined;
  try {
    const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => {}); // refused until the Sentinel listens
    for (let i = 0; i < 50; i++) {
      try { await probe.connect(); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    probe.disconnect();
    kernel = startKernel(['--config', config, '-b', `sentinel://127.0.0.1:${port}/${db}`, '--camera', 'file',
      '--camera-option', `dir=${join(dir, 'snaps')}`, '-F', '0.2', '-l', 'info']);
    await kernel.waitFor('consuming Celery events');
    await publisher.connect();
    const event = { type: 'worker-online', hostname: 'w1@sentinel', timestamp: 1795514300.5, clock: 1, utcoffset: 0, pid: 7, freq: 2.0,
      active: 0, processed: 0, loadavg: [0.1, 0.1, 0.1], sw_ident: 'py-celery', sw_ver: '5.2.6', sw_sys: 'Linux' };
    const envelope = {
      body: Buffer.from(JSON.stringify(event)).toString('base64'), 'content-encoding': 'utf-8', 'content-type': 'application/json',
      headers: { hostname: 'w1@sentinel' }, properties: { delivery_mode: 1, delivery_info: { exchange: 'celeryev', routing_key: 'worker.online' },
        priority: 0, body_encoding: 'base64', delivery_tag: 's' },
    };
    await publisher.publish(`/${db}.celeryev/worker.online`, JSON.stringify(envelope));
    const snap = await waitForLatest(join(dir, 'snaps'), (x) => x.workers['w1@sentinel'] !== undefined, 'the worker in latest.json', 20_000);
    assert.equal(snap.workers['w1@sentinel'].pid, 7);
    assert.equal(await kernel.stop('SIGTERM'), 0, kernel.stderr());
  } finally {
    publisher.disconnect();
    await kernel?.stop('SIGKILL');
    sentinel.kill('SIGKILL');
  }
});
