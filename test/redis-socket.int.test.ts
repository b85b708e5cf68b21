// redis+socket:// end to end: a real Redis listening only on a unix socket (started by the
// test, stopped in every case), the kernel subscribing through it as kombu would.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { waitForLatest } from './helpers/celery.js';
import { startKernel } from './helpers/kernel-process.js';

test('redis+socket:///path?virtual_host=N subscribes on the socket and folds what workers publish', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'evcam-redis-sock-'));
  const socket = join(dir, 'redis.sock');
  const server = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' });
  const db = 4;
  const kernel = startKernel(['-b', `redis+socket://${socket}?virtual_host=${db}`, '--camera', 'file',
    '--camera-option', `dir=${join(dir, 'snaps')}`, '-F', '0.2', '-l', 'info']);
  const publisher = new Redis({ path: socket, db, lazyConnect: true, retryStrategy: () => 100 });
  try {
    for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
    await kernel.waitFor('consuming Celery events');
    assert.match(kernel.stderr(), new RegExp(`"channel":"/${db}\\.celeryev/\\*"`), 'kombu channel naming with the socket\'s virtual_host');
    await publisher.connect();
    const event = { type: 'task-succeeded', uuid: 'over-socket', hostname: 'w1@sock', timestamp: 1795514300.5, clock: 9, utcoffset: 0,
      pid: 1, result: '3', runtime: 0.01 };
    const envelope = {
      body: Buffer.from(JSON.stringify([event])).toString('base64'), 'content-encoding': 'utf-8', 'content-type': 'application/json',
      headers: { hostname: 'w1@sock' }, properties: { delivery_mode: 1, delivery_info: { exchange: 'celeryev', routing_key: 'task.multi' },
        priority: 0, body_encoding: 'base64', delivery_tag: 't' },
    };
    await publisher.publish(`/${db}.celeryev/task.multi`, JSON.stringify(envelope));
    const snap = await waitForLatest(join(dir, 'snaps'), (x) => x.tasks['over-socket'] !== undefined, 'the task in latest.json', 20_000);
    assert.equal(snap.tasks['over-socket'].state, 'SUCCESS');
    assert.equal(await kernel.stop('SIGTERM'), 0, kernel.stderr());
  } finally {
    publisher.disconnect();
    await kernel.stop('SIGKILL');
    server.kill('SIGKILL');
  }
});
