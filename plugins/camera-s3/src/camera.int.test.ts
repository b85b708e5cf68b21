import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { Snapshot } from '@evcam/camera-api';
import type { DeltaDocument } from './documents.js';
import { parseHistoryKey } from './layout.js';
import { evolve, FakeHost, fixtureSnapshot, makeCamera, manySnapshot, shutter, tempDir } from './testing/fakes.js';
import { getObject, listKeys, startFauxqsS3, startS3rver, type TestS3 } from './testing/servers.js';

let fauxqs: TestS3;
let s3rver: TestS3;
before(async () => { [fauxqs, s3rver] = await Promise.all([startFauxqsS3(), startS3rver()]); });
after(async () => { await Promise.all([fauxqs?.stop(), s3rver?.stop()]); });

let buckets = 0;
async function bucketOn(server: TestS3): Promise<string> {
  const name = `evcam-test-${++buckets}`;
  await server.createBucket(name);
  return name;
}

const base = (server: TestS3, bucket: string, extra: Record<string, unknown> = {}) => ({
  bucket, endpoint: server.endpoint, forcePathStyle: true, region: 'us-east-1', spoolDir: tempDir(), ...server.credentials, ...extra,
});

for (const kind of ['fauxqs', 's3rver'] as const) {
  test(`${kind}: each shutter uploads a gzipped history object in the time-ordered layout and a plain latest.json`, async () => {
    const server = kind === 'fauxqs' ? fauxqs : s3rver;
    const bucket = await bucketOn(server);
    const { camera } = makeCamera(base(server, bucket));
    await camera.onInstall();
    const snapshots = [fixtureSnapshot(1, 1795514300.25), fixtureSnapshot(2, 1795514301.5), fixtureSnapshot(3, 1795517900)]; // the last in the next hour
    for (const s of snapshots) await shutter(camera, s);
    await camera.onClose();

    const keys = await listKeys(server.client, bucket);
    const history = keys.filter((k) => k !== 'evcam/latest.json');
    assert.deepEqual(keys.filter((k) => k === 'evcam/latest.json'), ['evcam/latest.json']);
    assert.equal(history.length, 3);
    for (const key of history) assert.match(key, /^evcam\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{12}-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\.json\.gz$/);
    const parsed = history.map((k) => parseHistoryKey('evcam/', k)!);
    assert.deepEqual(parsed.map((p) => p.takenAt), snapshots.map((s) => s.taken_at), 'listing order is shutter order');
    assert.ok(parsed[0].seq < parsed[1].seq && parsed[1].seq < parsed[2].seq);

    const first = await getObject(server.client, bucket, history[0]);
    assert.equal(first.contentType, 'application/json');
    if (kind === 's3rver') assert.equal(first.contentEncoding, 'gzip'); // fauxqs does not store Content-Encoding
    assert.equal(first.metadata['evcam-kind'], 'full');
    assert.deepEqual(JSON.parse(gunzipSync(first.body).toString()), snapshots[0]);

    const latest = await getObject(server.client, bucket, 'evcam/latest.json');
    assert.equal(latest.contentType, 'application/json');
    assert.equal(latest.contentEncoding, undefined, 'latest.json is plain JSON');
    assert.deepEqual(JSON.parse(latest.body.toString()), snapshots[2], 'latest.json = the newest snapshot, readable with one GET');
  });
}

test('gzip: false writes plain .json history objects', async () => {
  const bucket = await bucketOn(s3rver);
  const { camera } = makeCamera(base(s3rver, bucket, { gzip: false, prefix: 'plain' }));
  await camera.onInstall();
  await shutter(camera, fixtureSnapshot(1));
  await camera.onClose();
  const [key] = (await listKeys(s3rver.client, bucket, 'plain/')).filter((k) => !k.endsWith('latest.json'));
  assert.match(key, /^plain\/.*\.json$/);
  const obj = await getObject(s3rver.client, bucket, key);
  assert.equal(obj.contentEncoding, undefined);
  assert.deepEqual(JSON.parse(obj.body.toString()), fixtureSnapshot(1));
});

test('delta: only changed tasks between full snapshots every fullEvery shutters; latest.json always full', async () => {
  const bucket = await bucketOn(fauxqs);
  const { camera } = makeCamera(base(fauxqs, bucket, { delta: true, fullEvery: 3 }));
  await camera.onInstall();
  const s1 = manySnapshot(100, 1);
  const ids = Object.keys(s1.tasks);
  const s2 = evolve(s1, 2, [ids[5], ids[7]]);
  const { [ids[0]]: _evicted, ...rest } = s2.tasks; // task 0 leaves the State (max_tasks_in_memory)
  const s3: Snapshot = { ...evolve({ ...s2, tasks: rest }, 3, [ids[9]]), task_count: 99 };
  const s4 = evolve(s3, 4, [ids[11]]);
  for (const s of [s1, s2, s3, s4]) await shutter(camera, s);
  await camera.onClose();

  const history = (await listKeys(fauxqs.client, bucket)).filter((k) => !k.endsWith('latest.json'));
  const docs = await Promise.all(history.map(async (k) => JSON.parse(gunzipSync((await getObject(fauxqs.client, bucket, k)).body).toString())));
  assert.deepEqual(docs.map((d) => d.delta === true), [false, true, true, false], 'full, delta, delta, full (fullEvery 3)');
  assert.deepEqual(docs[0], s1);
  const d2 = docs[1] as DeltaDocument;
  assert.deepEqual(Object.keys(d2.tasks).sort(), [ids[5], ids[7]].sort());
  assert.deepEqual(d2.tasks[ids[5]], s2.tasks[ids[5]]);
  assert.equal(d2.base_key, history[0]);
  assert.equal(d2.base, parseHistoryKey('evcam/', history[0])!.seq);
  assert.equal(d2.event_count, s2.event_count);
  const d3 = docs[2] as DeltaDocument;
  assert.deepEqual(Object.keys(d3.tasks), [ids[9]]);
  assert.deepEqual(d3.removed, { tasks: [ids[0]], workers: [] });
  assert.deepEqual(docs[3], s4);
  // Rebuilding from base + deltas gives the exact State of shutter 3.
  const rebuilt = { ...docs[0].tasks, ...d2.tasks, ...d3.tasks };
  for (const id of d3.removed.tasks) delete rebuilt[id];
  assert.deepEqual(rebuilt, s3.tasks);
  const latest = JSON.parse((await getObject(fauxqs.client, bucket, 'evcam/latest.json')).body.toString());
  assert.deepEqual(latest, s4);
  const sizes = await Promise.all(history.map(async (k) => (await getObject(fauxqs.client, bucket, k)).body.length));
  assert.ok(sizes[1] * 5 < sizes[0], `a 2-task delta is much smaller than the full one (${sizes[1]} vs ${sizes[0]} bytes)`);
});

test('retention: onCleanup deletes history older than retention (by snapshot time), keeps newer and latest.json', async () => {
  const bucket = await bucketOn(fauxqs);
  const host = new FakeHost();
  const { camera, logger } = makeCamera(base(fauxqs, bucket, { retention: '2h' }), { host });
  await camera.onInstall();
  const t0 = 1_795_500_000;
  const times = [t0, t0 + 1800, t0 + 3 * 3600, t0 + 5 * 3600, t0 + 5 * 3600 + 60];
  for (const [i, t] of times.entries()) await shutter(camera, fixtureSnapshot(i + 1, t));
  await fauxqs.client.send(new (await import('@aws-sdk/client-s3')).PutObjectCommand({ Bucket: bucket, Key: 'evcam/README.txt', Body: 'not ours' }));
  host.now = t0 + 5 * 3600 + 60; // the newest snapshot's time
  await camera.onCleanup();
  await camera.onClose();
  const left = await listKeys(fauxqs.client, bucket);
  const times2 = left.map((k) => parseHistoryKey('evcam/', k)?.takenAt).filter((t) => t !== undefined);
  assert.deepEqual(times2, [t0 + 5 * 3600, t0 + 5 * 3600 + 60], 'only the last 2 hours are kept');
  assert.ok(left.includes('evcam/latest.json') && left.includes('evcam/README.txt'), 'latest.json and foreign objects are untouched');
  assert.match(logger.text(), /"deleted":3/);
});

test('a 10k-task snapshot: upload latency measured, well under the 30 s shutter timeout', async (t) => {
  const bucket = await bucketOn(fauxqs);
  const { camera } = makeCamera(base(fauxqs, bucket));
  await camera.onInstall();
  const big = manySnapshot(10_000, 1);
  const rawBytes = Buffer.byteLength(JSON.stringify(big));
  const runs: number[] = [];
  for (let i = 1; i <= 5; i++) {
    const started = performance.now();
    await shutter(camera, { ...big, seq: i, taken_at: big.taken_at + i });
    runs.push(performance.now() - started);
  }
  await camera.onClose();
  const history = (await listKeys(fauxqs.client, bucket)).filter((k) => !k.endsWith('latest.json'));
  const gz = (await getObject(fauxqs.client, bucket, history[0])).body.length;
  runs.sort((a, b) => a - b);
  t.diagnostic(`10k tasks: JSON ${(rawBytes / 1e6).toFixed(1)} MB, gzip ${(gz / 1e6).toFixed(2)} MB; onShutter (serialize + gzip + 2 PUTs) median ${runs[2].toFixed(0)} ms, max ${runs[4].toFixed(0)} ms`);
  assert.equal(camera.stats.uploaded, 10);
  assert.ok(runs[2] < 5000, `median ${runs[2]} ms`);
});
