import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { parseHistoryKey } from './layout.js';
import { FakeHost, makeCamera, manySnapshot, shutter, tempDir } from './testing/fakes.js';
import { recordPuts } from './testing/put-log.js';
import { getObject, listKeys, startFauxqsS3, type TestS3 } from './testing/servers.js';

const BUCKET = 'evcam-outage';
const history = (keys: string[]) => keys.filter((k) => parseHistoryKey('evcam/', k) !== null);
const seqOf = (key: string) => parseHistoryKey('evcam/', key)!.seq;

async function up(port = 0): Promise<TestS3> {
  const server = await startFauxqsS3(port);
  await server.createBucket(BUCKET); // fauxqs is in memory: a restarted server needs its bucket again
  return server;
}

const options = (server: TestS3, spoolDir: string, extra: Record<string, unknown> = {}) => ({
  bucket: BUCKET, endpoint: server.endpoint, forcePathStyle: true, ...server.credentials, spoolDir,
  maxBackoff: 2, requestTimeout: 2, ...extra,
});

test('outage: S3 stopped, snapshots spooled without blocking, server restarted on the same port, all uploaded in order', async (t) => {
  let server = await up();
  const port = server.port;
  const { camera, logger } = makeCamera(options(server, tempDir()));
  t.after(() => camera.onClose()); // also when an assertion fails early: a live uploader keeps the process running
  const puts = recordPuts(camera.client);
  await camera.onInstall();
  await shutter(camera, manySnapshot(20, 1));
  await server.stop();

  for (let seq = 2; seq <= 7; seq++) {
    await shutter(camera, manySnapshot(20 + seq, seq));
    assert.equal(camera.stats.spooled, seq - 1, 'while S3 is down, each onShutter resolves with its snapshot in the spool');
  }
  assert.equal(camera.stats.spoolObjects, 6);
  assert.match(logger.text(), /S3 upload failed; spooling snapshots locally/);

  server = await up(port);
  try {
    await camera.flushed();
    assert.equal(camera.stats.spoolObjects, 0);
    const uploadedHistory = history(puts.succeeded);
    assert.equal(uploadedHistory.length, 7);
    assert.deepEqual(uploadedHistory.map(seqOf), [...uploadedHistory.map(seqOf)].sort((a, b) => a - b), 'uploaded in seq order');
    assert.deepEqual(history(await listKeys(server.client, BUCKET)), uploadedHistory.slice(1), 'the 6 spooled ones are in the (new) bucket');
    assert.equal(puts.succeeded.at(-1), 'evcam/latest.json', 'latest.json goes after the history it summarises');
    const latest = JSON.parse((await getObject(server.client, BUCKET, 'evcam/latest.json')).body.toString());
    assert.equal(latest.seq, 7);
    assert.equal(latest.task_count, 27);
    assert.match(logger.text(), /S3 spool drained/);
    await shutter(camera, manySnapshot(30, 8));
    assert.equal(camera.stats.spooled, 6, 'after the drain, uploads are direct again');
  } finally {
    await camera.onClose();
    await server.stop();
  }
});

test('kernel restart: a new camera on the same spool dir uploads what the old one left, and its keys sort after them', async (t) => {
  let server = await up();
  const port = server.port;
  const spoolDir = tempDir();
  const first = makeCamera(options(server, spoolDir, { closeTimeout: 0.5 }), { host: new FakeHost(1) });
  t.after(() => first.camera.onClose());
  await first.camera.onInstall();
  await server.stop();
  for (let seq = 1; seq <= 3; seq++) await shutter(first.camera, manySnapshot(10, seq));
  await first.camera.onClose(); // resolves after closeTimeout (0.5 s) although S3 is still down
  assert.equal(readdirSync(spoolDir).filter((f) => f.endsWith('.obj')).length, 4, '3 history objects + latest.json wait on disk');
  assert.match(first.logger.text(), /closed with snapshots still in the spool/);

  server = await up(port);
  const second = makeCamera(options(server, spoolDir));
  try {
    await second.camera.onInstall();
    await second.camera.flushed();
    const left = history(await listKeys(server.client, BUCKET));
    assert.equal(left.length, 3);
    await shutter(second.camera, manySnapshot(10, 1)); // the new run's seq 1
    const all = history(await listKeys(server.client, BUCKET));
    assert.equal(all.length, 4);
    assert.ok(seqOf(all[3]) > seqOf(all[2]), 'key seq stays monotonic across the restart');
    assert.deepEqual(readdirSync(spoolDir).filter((f) => f.endsWith('.obj')), []);
  } finally {
    await second.camera.onClose();
    await server.stop();
  }
});

test('spool full: oldest snapshots dropped (counted, logged), the newest survive, next delta is a full one', async (t) => {
  let server = await up();
  const port = server.port;
  const one = Buffer.byteLength(JSON.stringify(manySnapshot(20, 1)));
  const { camera, logger } = makeCamera(options(server, tempDir(), { gzip: false, delta: true, fullEvery: 100, spoolMaxBytes: Math.floor(one * 4.5) }));
  t.after(() => camera.onClose());
  await camera.onInstall();
  await shutter(camera, manySnapshot(20, 1));
  await server.stop();
  const s = manySnapshot(20, 1);
  const ids = Object.keys(s.tasks);
  // Every third delta lists all tasks (as big as a full object), so the bound is reached.
  for (let seq = 2; seq <= 12; seq++) {
    await shutter(camera, { ...s, seq, taken_at: s.taken_at + seq, changed: { tasks: seq % 3 === 0 ? ids : ids.slice(0, 1), workers: [] } });
  }
  const { dropped, spoolBytes } = camera.stats;
  assert.ok(dropped > 0, 'something was dropped');
  assert.ok(spoolBytes <= one * 4.5, `bounded: ${spoolBytes}`);
  assert.match(logger.text(), /S3 spool is full: dropped the oldest/);
  server = await up(port);
  try {
    await camera.flushed();
    const keys = history(await listKeys(server.client, BUCKET));
    assert.equal(keys.length, 11 - dropped, 'everything not dropped arrived');
    const seqs = keys.map(seqOf);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    // What survives is the newest: the last spooled seq is there, and latest.json is the newest
    // full object (delta mode writes it with the full ones; a drop forces one).
    assert.equal(seqOf(keys.at(-1)!), 12);
    const fulls = [];
    for (const k of keys) if (JSON.parse((await getObject(server.client, BUCKET, k)).body.toString()).delta === undefined) fulls.push(seqOf(k));
    assert.ok(fulls.some((q) => q > 1), 'a full object followed the drop');
    assert.equal(JSON.parse((await getObject(server.client, BUCKET, 'evcam/latest.json')).body.toString()).seq, fulls.at(-1));
    await shutter(camera, { ...s, seq: 13, taken_at: s.taken_at + 13, changed: { tasks: ids.slice(0, 1), workers: [] } });
    const newest = history(await listKeys(server.client, BUCKET)).at(-1)!;
    const doc = JSON.parse((await getObject(server.client, BUCKET, newest)).body.toString());
    assert.equal(doc.delta, undefined, 'after a drop the delta chain restarts with a full object');
  } finally {
    await camera.onClose();
    await server.stop();
  }
});

test('slow S3 (accepts, never answers): onShutter returns after requestTimeout with the snapshot spooled', async () => {
  const sockets: Socket[] = [];
  const blackhole = createServer((socket) => { sockets.push(socket); });
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  const { port } = blackhole.address() as { port: number };
  // install() needs a HeadBucket answer from a live server; then the camera's requests are re-routed to the black hole.
  const live = await up();
  const { camera: cam2, logger: logger2 } = makeCamera(options(live, tempDir(), { requestTimeout: 0.5 }));
  await cam2.onInstall();
  cam2.client.middlewareStack.add((next) => async (args) => {
    const request = args.request as { port?: number };
    if (request && typeof request === 'object') request.port = port;
    return next(args);
  }, { step: 'finalizeRequest', name: 'toBlackhole' });
  await shutter(cam2, manySnapshot(10, 1));
  try {
    assert.equal(cam2.stats.spooled, 1);
    assert.match(logger2.text(), /"name":"AbortError","message":"Request aborted".*S3 upload failed; spooling/,
      "the request was ended by requestTimeout (the shutter's own signal never fires), not by S3");
  } finally {
    await cam2.onClose();
    await live.stop();
    for (const s of sockets) s.destroy();
    blackhole.close();
  }
});
