import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { silentLogger, type Snapshot } from '@evcam/camera-api';
import { DEFAULT_FIXTURE, Harness, watchFullView } from '@evcam/camera-testkit';
import type { DeltaDocument } from './documents.js';
import { latestKey } from './layout.js';
import { makeCamera, tempDir } from './testing/fakes.js';
import { getObject, listKeys, startFauxqsS3, type TestS3 } from './testing/servers.js';

const ctx = { signal: new AbortController().signal, attempt: 1 };
let s3: TestS3;
before(async () => { s3 = await startFauxqsS3(); await s3.createBucket('evcam-view'); });
after(() => s3.stop());

// The kernel's real State (LRU of 40 tasks: evictions between shutters) folds the shipped capture;
// each snapshot is the real lazy view, watched for full reads.
test('delta mode: only full objects read the full view; base + deltas rebuild every shutter; latest.json is whole at close', async () => {
  const { camera } = makeCamera({ bucket: 'evcam-view', endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true,
    spoolDir: tempDir(), gzip: false, delta: true, fullEvery: 5, fullFraction: 100, ...s3.credentials });
  await camera.onInstall();
  const harness = new Harness(DEFAULT_FIXTURE, silentLogger, { maxTasksInMemory: 40 });
  const step = Math.ceil(harness.deliveries.length / 12);
  const expected: Snapshot[] = [];
  const fullReads: boolean[] = [];
  let since = 0;
  let seq = 0;
  for (let until = step; harness.remaining > 0; until += step) {
    harness.foldSilently(until);
    const taken = harness.state.snapshot(since, ++seq, harness.deliveries[harness.next - 1].at);
    const { snapshot, reads } = watchFullView(taken.snapshot);
    await camera.onShutter(snapshot, ctx);
    fullReads.push(reads.listed + reads.serialised > 0);
    expected.push(JSON.parse(JSON.stringify(taken.snapshot)) as Snapshot);
    since = taken.cut;
    taken.release?.();
  }
  await camera.onClose();
  const keys = (await listKeys(s3.client, 'evcam-view')).filter((k) => !k.endsWith('latest.json'));
  const docs = await Promise.all(keys.map(async (k) => JSON.parse((await getObject(s3.client, 'evcam-view', k)).body.toString()) as Snapshot | DeltaDocument));
  const kinds = docs.map((d) => ('delta' in d && d.delta === true ? 'delta' : 'full'));
  assert.deepEqual(fullReads, kinds.map((k) => k === 'full'), 'the full view is read exactly at the full objects');
  assert.ok(kinds.filter((k) => k === 'delta').length >= 8, `mostly deltas (${kinds.join(',')})`);
  let held: Snapshot['tasks'] = {};
  docs.forEach((doc, i) => {
    if (kinds[i] === 'full') held = { ...doc.tasks };
    else {
      for (const id of (doc as DeltaDocument).removed.tasks) delete held[id];
      Object.assign(held, doc.tasks);
    }
    assert.deepEqual(held, expected[i].tasks, `State rebuilt at shutter ${i + 1}`);
  });
  assert.ok(docs.some((d) => 'delta' in d && d.removed.tasks.length > 0), 'evictions reached a delta through snapshot.removed');
  const latest = JSON.parse((await getObject(s3.client, 'evcam-view', latestKey('evcam/'))).body.toString()) as Snapshot;
  assert.equal(kinds[kinds.length - 1], 'delta', 'the last shutter was a delta');
  assert.deepEqual(latest, expected[expected.length - 1], 'latest.json after close is the whole State of the last shutter');
});

test('delta mode: a full object once the deltas since the last one outgrow fullFraction of it', async () => {
  const { camera } = makeCamera({ bucket: 'evcam-view', prefix: 'fraction/', endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true,
    spoolDir: tempDir(), gzip: false, delta: true, fullEvery: 1000, fullFraction: 0.3, ...s3.credentials });
  await camera.onInstall();
  const harness = new Harness(DEFAULT_FIXTURE, silentLogger);
  harness.foldSilently(Math.ceil(harness.deliveries.length / 2));
  let taken = harness.state.snapshot(0, 1, 1);
  await camera.onShutter(taken.snapshot, ctx);
  const step = Math.ceil(harness.deliveries.length / 20);
  for (let seq = 2; harness.remaining > 0; seq++) {
    const since = taken.cut;
    taken.release?.();
    harness.foldSilently(harness.next + step);
    taken = harness.state.snapshot(since, seq, seq);
    await camera.onShutter(taken.snapshot, ctx);
  }
  taken.release?.();
  await camera.onClose();
  const keys = (await listKeys(s3.client, 'evcam-view', 'fraction/')).filter((k) => !k.endsWith('latest.json'));
  const sizes: { full: boolean; bytes: number }[] = [];
  for (const k of keys) {
    const body = (await getObject(s3.client, 'evcam-view', k)).body;
    sizes.push({ full: (JSON.parse(body.toString()) as { delta?: boolean }).delta !== true, bytes: body.length });
  }
  assert.ok(sizes.filter((s) => s.full).length >= 2, 'deltas outgrew 0.3 of the full object: another full one followed');
  // Each full object after the first comes once the deltas before it exceed 0.3 of the previous full one, not earlier.
  let full = sizes[0].bytes;
  let deltas = 0;
  for (const s of sizes.slice(1)) {
    if (s.full) { assert.ok(deltas > 0.3 * full, `full after ${deltas} delta bytes (previous full ${full})`); full = s.bytes; deltas = 0; }
    else { assert.ok(deltas <= 0.3 * full, 'a delta past the fraction should have been a full object'); deltas += s.bytes; }
  }
});
