import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '@evcam/camera-api';
import { DEFAULT_FIXTURE, Harness, watchFullView } from '@evcam/camera-testkit';
import { countTasks } from './documents.js';
import { MockEs } from './testing/mock-es.js';
import { makeCamera } from './testing/fakes.js';

const ctx = { signal: new AbortController().signal, attempt: 1 };

// The kernel's real State (LRU of 40 tasks, so tasks are evicted between shutters) folds the
// shipped capture; every shutter's snapshot is the real lazy view, watched for full reads.
test('shutters never list or serialise snapshot.tasks, and the summary counts equal a full scan', async () => {
  const es = new MockEs();
  const { camera } = makeCamera({ node: 'http://es.test:9200' }, { Connection: es.connection });
  await camera.onInstall();
  const harness = new Harness(DEFAULT_FIXTURE, silentLogger, { maxTasksInMemory: 40 });
  const step = Math.ceil(harness.deliveries.length / 12);
  let since = 0;
  let seq = 0;
  let evicted = 0;
  for (let until = step; harness.remaining > 0; until += step) {
    harness.foldSilently(until);
    const taken = harness.state.snapshot(since, ++seq, harness.deliveries[harness.next - 1].at);
    evicted += taken.snapshot.removed!.tasks.length;
    const { snapshot, reads } = watchFullView(taken.snapshot);
    await camera.onShutter(snapshot, ctx);
    assert.deepEqual(reads, { listed: 0, serialised: 0 }, `shutter ${seq} read the full view`);
    const summaries = es.bulks.flat().filter((op, i, ops) => i % 2 === 1 && (ops[i - 1] as { index: { _index: string } }).index._index === 'evcam-snapshots');
    const summary = summaries[summaries.length - 1] as { seq: number; tasks_total: number; tasks_by_state: Record<string, number> };
    const scan = countTasks(taken.snapshot); // the reference: a scan of the same cut
    assert.equal(summary.seq, seq);
    assert.equal(summary.tasks_total, scan.total, `shutter ${seq}: tasks_total`);
    assert.deepEqual(summary.tasks_by_state, scan.byState, `shutter ${seq}: tasks_by_state`);
    since = taken.cut;
    taken.release?.();
  }
  assert.ok(evicted > 0, 'the LRU evicted tasks between shutters (removed was exercised)');
});

test('a shutter that was not stored: the next one still counts exactly (provisional ids looked up again)', async () => {
  const es = new MockEs();
  const { camera } = makeCamera({ node: 'http://es.test:9200', itemRetries: 0 }, { Connection: es.connection });
  await camera.onInstall();
  const harness = new Harness(DEFAULT_FIXTURE, silentLogger, { maxTasksInMemory: 20 });
  const third = Math.ceil(harness.deliveries.length / 3);
  harness.foldSilently(third);
  const first = harness.state.snapshot(0, 1, 1);
  // Every item answered 503: the shutter fails, so the kernel keeps `since` at 0.
  es.itemFault = () => ({ status: 503, error: { type: 'unavailable', reason: 'down' } });
  await assert.rejects(camera.onShutter(first.snapshot, ctx));
  first.release?.();
  es.itemFault = () => undefined;
  harness.foldSilently(harness.deliveries.length);
  const second = harness.state.snapshot(0, 2, 2);
  const { snapshot, reads } = watchFullView(second.snapshot);
  await camera.onShutter(snapshot, ctx);
  assert.deepEqual(reads, { listed: 0, serialised: 0 });
  const ops = es.bulks.flat();
  const last = ops[ops.length - 1] as { seq: number; tasks_total: number; tasks_by_state: Record<string, number> };
  const scan = countTasks(second.snapshot);
  assert.equal(last.seq, 2);
  assert.equal(last.tasks_total, scan.total);
  assert.deepEqual(last.tasks_by_state, scan.byState);
});
