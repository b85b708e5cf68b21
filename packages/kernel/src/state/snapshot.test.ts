// O(changed) shutters: a camera that stores only `changed` and `removed` rebuilds
// exactly the full snapshot at every seq, on every shipped golden, under LRU
// eviction, clear_after, failed and superseded shutters; and an open snapshot
// stays the cut it was taken at while ingestion goes on (copy-on-write).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, test } from 'node:test';
import { silentLogger, taskIds, type Snapshot, type TakenSnapshot, type TaskSnapshot, type WorkerSnapshot } from '@evcam/camera-api';
import { Ingestor } from '../ingest/ingestor.js';
import { replayFile, ReplayClock } from '../replay.js';
import { CeleryState } from './state.js';

const FIXTURES = new URL('../../../../test/fixtures/', import.meta.url);

interface ManifestEntry { capture: string; golden: string; maxTasks?: number; maxWorkers?: number; tz?: string }
interface Golden { tasks: Record<string, TaskSnapshot>; workers: Record<string, WorkerSnapshot>; event_count: number; task_count: number }

const manifest = JSON.parse(readFileSync(new URL('manifest.json', FIXTURES), 'utf8')) as ManifestEntry[];

/** Celery's utcoffset() (hours west of UTC, floored) for a time zone, as the kernel computes it under TZ. */
function utcoffsetOf(tz = 'UTC'): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' }).formatToParts(new Date())
    .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d\d):(\d\d)/.exec(name);
  const eastMinutes = m === null ? 0 : (m[1] === '+' ? 1 : -1) * (Number(m[2]) * 60 + Number(m[3]));
  return Math.floor(-eastMinutes / 60);
}

type Mode = 'store' | 'fail';
interface Scenario { name: string; every: number; mode: (i: number) => Mode; clearAfter: boolean }

const SCENARIOS: Scenario[] = [
  { name: 'every shutter stored', every: 5, mode: () => 'store', clearAfter: false },
  { name: 'failed and superseded shutters', every: 3, mode: (i) => (i % 4 === 1 || i % 7 === 3 ? 'fail' : 'store'), clearAfter: false },
  { name: 'clear_after', every: 11, mode: (i) => (i % 5 === 2 ? 'fail' : 'store'), clearAfter: true },
];

const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const withoutAlive = (w: WorkerSnapshot): Omit<WorkerSnapshot, 'alive'> => { const { alive: _, ...rest } = w; return rest; };

/** A camera that keeps only what `changed` and `removed` tell it. */
class DeltaReplica {
  readonly tasks = new Map<string, TaskSnapshot>();
  readonly workers = new Map<string, WorkerSnapshot>();

  apply(s: Snapshot): void {
    const removed = s.removed as NonNullable<Snapshot['removed']>;
    for (const id of removed.tasks) {
      assert.ok(this.tasks.has(id), `seq ${s.seq}: removed task ${id} was never stored`);
      assert.ok(!(id in s.tasks), `seq ${s.seq}: removed task ${id} is still in the snapshot`);
      this.tasks.delete(id);
    }
    for (const id of removed.workers) {
      assert.ok(this.workers.delete(id), `seq ${s.seq}: removed worker ${id} was never stored`);
    }
    for (const id of s.changed.tasks) this.tasks.set(id, json(s.tasks[id]));
    for (const id of s.changed.workers) this.workers.set(id, json(s.workers[id]));
  }
}

/** Fold `entry`'s capture through the replay path, taking a shutter every `every` messages. */
async function run(entry: ManifestEntry, scenario: Scenario): Promise<{ replica: DeltaReplica; state: CeleryState; last: Snapshot }> {
  const state = new CeleryState({ maxTasksInMemory: entry.maxTasks ?? 10000, maxWorkersInMemory: entry.maxWorkers ?? 5000 }, silentLogger);
  const ingestor = new Ingestor(state, silentLogger, { localUtcoffset: () => utcoffsetOf(entry.tz) });
  const clock = new ReplayClock();
  const replica = new DeltaReplica();
  let since = 0;
  let seq = 0;
  let shutters = 0;
  let previous: Golden | null = null;
  /** The snapshot the "camera" is still storing while events go on, and its JSON when it was taken. */
  let open: { taken: TakenSnapshot; expected: string } | null = null;

  const finish = (): void => {
    if (open === null) return;
    const { taken, expected } = open;
    open = null;
    assert.equal(JSON.stringify(taken.snapshot), expected, `seq ${taken.snapshot.seq}: the open snapshot is no longer its cut`);
    const mode = scenario.mode(shutters++);
    if (mode === 'fail') { taken.release?.(); return; }
    replica.apply(taken.snapshot);
    const full = JSON.parse(expected) as Snapshot;
    assert.deepEqual(Object.fromEntries(replica.tasks), full.tasks, `seq ${full.seq}: tasks rebuilt from deltas`);
    assert.deepEqual([...replica.workers.keys()].sort(), Object.keys(full.workers).sort(), `seq ${full.seq}: worker ids`);
    for (const [id, w] of replica.workers) assert.deepEqual(withoutAlive(w), withoutAlive(full.workers[id]), `seq ${full.seq}: worker ${id}`);
    if (previous !== null) {
      // `changed` is complete: every task whose record differs from the last stored cut is listed.
      const changed = new Set(full.changed.tasks);
      for (const [id, t] of Object.entries(full.tasks)) {
        if (JSON.stringify(previous.tasks[id]) !== JSON.stringify(t)) assert.ok(changed.has(id), `seq ${full.seq}: ${id} changed but not listed`);
      }
      // `removed` is exact: what left, nothing else.
      const gone = Object.keys(previous.tasks).filter((id) => !(id in full.tasks)).sort();
      assert.deepEqual([...(full.removed?.tasks ?? [])].sort(), gone, `seq ${full.seq}: removed tasks`);
    }
    previous = full as unknown as Golden;
    since = taken.cut;
    taken.release?.();
    if (scenario.clearAfter) state.clear();
  };
  const shutter = (): void => {
    finish();
    seq++;
    const eager = state.snapshot(since, seq, clock.now());
    const expected = JSON.stringify(eager.snapshot);
    eager.release?.();
    open = { taken: state.snapshot(since, seq, clock.now()), expected };
  };
  let messages = 0;
  const tapped = Object.create(ingestor) as Ingestor;
  tapped.receive = (message, at) => { ingestor.receive(message, at); if (++messages % scenario.every === 0) shutter(); };
  tapped.receiveEvent = (event, at) => { ingestor.receiveEvent(event, at); if (++messages % scenario.every === 0) shutter(); };
  await replayFile(fileURLToPath(new URL(entry.capture, FIXTURES)), tapped, clock, silentLogger);
  // The final shutter is stored whatever the mode said.
  finish();
  seq++;
  const final = state.snapshot(since, seq, clock.now());
  const expected = JSON.stringify(final.snapshot);
  open = { taken: final, expected };
  const storeAll = scenario.mode;
  scenario.mode = () => 'store';
  try { finish(); } finally { scenario.mode = storeAll; }
  return { replica, state, last: JSON.parse(expected) as Snapshot };
}

describe('snapshots cost what changed: deltas rebuild the full snapshot at every seq', () => {
  for (const entry of manifest) {
    for (const scenario of SCENARIOS) {
      test(`${entry.golden}: ${scenario.name}`, async () => {
        const { replica, state } = await run(entry, { ...scenario });
        assert.equal(state.keptByOpenSnapshots, 0, 'released snapshots keep nothing');
        if (scenario.clearAfter) return;
        const golden = JSON.parse(readFileSync(new URL(entry.golden, FIXTURES), 'utf8')) as Golden;
        assert.deepEqual(Object.fromEntries(replica.tasks), golden.tasks, 'tasks rebuilt from deltas equal Celery\'s');
        assert.deepEqual([...replica.workers.keys()].sort(), Object.keys(golden.workers).sort(), 'workers rebuilt from deltas');
      });
    }
  }
});

describe('the lazy tasks view', () => {
  const fold = (limits = {}): { state: CeleryState; ingestor: Ingestor; lines: string[] } => {
    const state = new CeleryState(limits, silentLogger);
    const ingestor = new Ingestor(state, silentLogger, { localUtcoffset: () => 0 });
    const lines = readFileSync(new URL('rabbitmq-5.2.6.jsonl', FIXTURES), 'utf8').split('\n').filter(Boolean);
    return { state, ingestor, lines };
  };
  const feed = (ingestor: Ingestor, lines: string[]): number => {
    let last = 0;
    for (const line of lines) {
      const rec = JSON.parse(line) as { recv_ts: number; body: string; properties: { content_type: string; content_encoding: string } };
      ingestor.receive({ body: rec.body, contentType: rec.properties.content_type, contentEncoding: rec.properties.content_encoding }, rec.recv_ts);
      last = rec.recv_ts;
    }
    return last;
  };

  test('listing the ids builds no dict; the entries, read as a camera walks them, are the cut', () => {
    const { state, ingestor, lines } = fold({ maxTasksInMemory: 50 });
    const half = Math.floor(lines.length / 2);
    const at = feed(ingestor, lines.slice(0, half));
    const eager = state.snapshot(0, 1, at);
    const expected = JSON.parse(JSON.stringify(eager.snapshot.tasks)) as Record<string, unknown>;
    eager.release?.();
    feed(ingestor, lines.slice(half, half + 5)); // drops the cached dicts of the tasks it changes
    const cutAt = state.snapshot(0, 2, at);
    const built = (): number => [...state.tasks.values()].filter((t) => t.dict !== null).length;
    const before = built();
    assert.ok(before < state.tasks.size, 'some tasks have no dict yet');
    const ids = Object.keys(cutAt.snapshot.tasks);
    assert.equal(built(), before, 'Object.keys built no dict');
    assert.deepEqual(taskIds(cutAt.snapshot.tasks), ids, 'taskIds: the same ids, from the view at once');
    assert.deepEqual(taskIds({ b: {}, a: {} } as never), ['b', 'a'], 'taskIds of a plain map: its keys');
    feed(ingestor, lines.slice(half + 5)); // evictions, bumps and changes after the cut, before the walk
    const walked = Object.fromEntries(ids.map((id) => [id, cutAt.snapshot.tasks[id]]));
    const again = state.snapshot(0, 3, at);
    assert.ok(Object.keys(walked).length > 0);
    assert.deepEqual(Object.keys(walked), Object.keys(JSON.parse(JSON.stringify(cutAt.snapshot.tasks)) as object));
    assert.deepEqual(JSON.parse(JSON.stringify(walked)), JSON.parse(JSON.stringify(cutAt.snapshot.tasks)), 'walking = the cut serialised whole');
    assert.notDeepEqual(JSON.parse(JSON.stringify(walked)), JSON.parse(JSON.stringify(again.snapshot.tasks)), 'and not the State after it');
    assert.ok(Object.keys(expected).length > 0);
    cutAt.release?.();
    again.release?.();
  });

  test('reading one task or only changed ids builds no full map; listing it gives the cut in LRU order', () => {
    const { state, ingestor, lines } = fold({ maxTasksInMemory: 50 });
    const half = Math.floor(lines.length / 2);
    const at = feed(ingestor, lines.slice(0, half));
    const eager = state.snapshot(0, 1, at);
    const expected = JSON.stringify(eager.snapshot);
    eager.release?.();
    const taken = state.snapshot(0, 1, at);
    const first = taken.snapshot.changed.tasks[0];
    assert.equal(taken.snapshot.tasks[first].uuid, first);
    assert.ok(first in taken.snapshot.tasks);
    assert.equal(taken.snapshot.tasks['no-such-task'], undefined);
    assert.equal('no-such-task' in taken.snapshot.tasks, false);
    feed(ingestor, lines.slice(half)); // evictions, LRU bumps, new children, all after the cut
    assert.ok(state.keptByOpenSnapshots > 0, 'changes after the cut were kept for the open snapshot');
    assert.equal(JSON.stringify(taken.snapshot), expected, 'the open snapshot is still its cut, byte for byte');
    assert.deepEqual(Object.keys(taken.snapshot.tasks), Object.keys(JSON.parse(expected).tasks));
    assert.throws(() => { (taken.snapshot.tasks as Record<string, unknown>).x = 1; }, TypeError, 'the view is read-only');
    taken.release?.();
    assert.equal(state.keptByOpenSnapshots, 0);
  });

  test('a snapshot nobody holds any more keeps nothing (no release needed for correctness)', async () => {
    const { state, ingestor, lines } = fold();
    const at = feed(ingestor, lines.slice(0, 100));
    void state.snapshot(0, 1, at); // dropped on the floor, never released
    await new Promise((r) => setImmediate(r));
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    feed(ingestor, lines.slice(100));
    const taken = state.snapshot(0, 2, at);
    taken.release?.();
    assert.equal(state.keptByOpenSnapshots, 0);
  });

  test('ids that left are forgotten once no camera can ask from before them (removedRetention), and removed stays exact', () => {
    const { state, ingestor, lines } = fold({ maxTasksInMemory: 20, removedRetention: 10 });
    let since = 0;
    let seq = 0;
    let evicted = 0;
    const replica = new Map<string, TaskSnapshot>();
    for (let i = 0; i < lines.length; i += 5) {
      feed(ingestor, lines.slice(i, i + 5));
      const taken = state.snapshot(since, ++seq, seq); // one shutter a second
      evicted += taken.snapshot.removed?.tasks.length ?? 0;
      for (const id of taken.snapshot.removed?.tasks ?? []) replica.delete(id);
      for (const id of taken.snapshot.changed.tasks) replica.set(id, json(taken.snapshot.tasks[id]));
      assert.deepEqual(Object.fromEntries(replica), json(taken.snapshot.tasks), `seq ${seq}`);
      since = taken.cut;
      taken.release?.();
    }
    const kept = (state as unknown as { goneTasks: { size: number } }).goneTasks.size;
    assert.ok(evicted > 100 && kept < evicted / 4, `kept ${kept} of ${evicted} tombstones`);
  });

  test('with readers (one per camera), ids are kept only back to the oldest since a reader may still ask from; removed stays exact for each', () => {
    // Retention an hour: without readers every tombstone of this replay would stay.
    const { state, ingestor, lines } = fold({ maxTasksInMemory: 20, removedRetention: 3600 });
    const fast = { reader: {}, since: 0, replica: new Map<string, TaskSnapshot>() };
    const failing = { reader: {}, since: 0, replica: new Map<string, TaskSnapshot>() };
    let seq = 0;
    let evicted = 0;
    const maxKept: number[] = [];
    const shutter = (camera: typeof fast, stores: boolean): void => {
      const taken = state.snapshot(camera.since, ++seq, seq, camera.reader);
      if (camera === fast) evicted += taken.snapshot.removed?.tasks.length ?? 0;
      if (stores) {
        for (const id of taken.snapshot.removed?.tasks ?? []) camera.replica.delete(id);
        for (const id of taken.snapshot.changed.tasks) camera.replica.set(id, json(taken.snapshot.tasks[id]));
        assert.deepEqual(Object.fromEntries(camera.replica), json(taken.snapshot.tasks), `seq ${seq}`);
        camera.since = taken.cut;
      }
      taken.release?.();
    };
    const half = Math.floor(lines.length / 2);
    for (let i = 0; i < lines.length; i += 5) {
      feed(ingestor, lines.slice(i, i + 5));
      shutter(fast, true);
      // The second camera stores in the first half, then fails (asks again from its last since) until the last shutter.
      shutter(failing, i < half || i + 5 >= lines.length);
      if (i + 5 < half) maxKept.push((state as unknown as { goneTasks: { size: number } }).goneTasks.size);
    }
    assert.ok(evicted > 100, `${evicted} evicted`);
    assert.ok(Math.max(...maxKept) < 40, `while both readers keep up, few tombstones stay (at most ${Math.max(...maxKept)})`);
  });

  test('changed is in the order of the tasks map (LRU), from since 0 (every task) and from a later cut', () => {
    const { state, ingestor, lines } = fold({ maxTasksInMemory: 200 });
    const half = Math.floor(lines.length / 2);
    feed(ingestor, lines.slice(0, half));
    const first = state.snapshot(0, 1, 0);
    assert.deepEqual(first.snapshot.changed.tasks, Object.keys(first.snapshot.tasks), 'since 0: every task, in map order');
    const cut = first.cut;
    first.release?.();
    feed(ingestor, lines.slice(half, half + 12));
    const second = state.snapshot(cut, 2, 0);
    const changed = new Set(second.snapshot.changed.tasks);
    assert.ok(changed.size > 0 && changed.size < state.tasks.size);
    assert.deepEqual(second.snapshot.changed.tasks, Object.keys(second.snapshot.tasks).filter((id) => changed.has(id)), 'a later cut: the changed ones, in map order');
    second.release?.();
  });

  test('changed and removed cover an LRU eviction of a child: its parent counts as changed', () => {
    const { state, ingestor, lines } = fold({ maxTasksInMemory: 20 });
    let since = 0;
    let seq = 0;
    const replica = new Map<string, TaskSnapshot>();
    for (let i = 0; i < lines.length; i += 17) {
      feed(ingestor, lines.slice(i, i + 17));
      const taken = state.snapshot(since, ++seq, 0);
      for (const id of taken.snapshot.removed?.tasks ?? []) replica.delete(id);
      for (const id of taken.snapshot.changed.tasks) replica.set(id, json(taken.snapshot.tasks[id]));
      assert.deepEqual(Object.fromEntries(replica), json(taken.snapshot.tasks), `seq ${seq}`);
      since = taken.cut;
      taken.release?.();
    }
  });
});
