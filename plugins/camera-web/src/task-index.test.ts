import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Snapshot, TaskSnapshot } from '@evcam/camera-api';
import { fixtureSnapshot, sampleTask, sampleWorker } from '@evcam/camera-testkit';
import { MinuteRing } from './minute-ring.js';
import { RuntimeStats } from './runtime-stats.js';
import { TaskIndex } from './task-index.js';

const limits = { recentPerWorker: 3, runtimeSamples: 100, maxTaskNames: 10 };

function snapshot(seq: number, takenAt: number, tasks: TaskSnapshot[], changed: string[], removed: string[] = []): Snapshot {
  return {
    schema: 'evcam.snapshot/1', seq, taken_at: takenAt, event_count: seq, task_count: tasks.length,
    tasks: Object.fromEntries(tasks.map((t) => [t.uuid, t])), workers: { 'w1@lab': sampleWorker('w1@lab') },
    changed: { tasks: changed, workers: [] }, removed: { tasks: removed, workers: [] },
  };
}

function countStates(tasks: Iterable<TaskSnapshot>): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of tasks) m.set(t.state, (m.get(t.state) ?? 0) + 1);
  return m;
}

describe('TaskIndex', () => {
  test('a full snapshot: every task, counts by state as the State has them', () => {
    const s = fixtureSnapshot();
    const index = new TaskIndex(limits);
    index.apply(s);
    assert.equal(index.tasks.size, Object.keys(s.tasks).length);
    assert.deepEqual(new Map([...index.stateCounts].sort()), new Map([...countStates(Object.values(s.tasks))].sort()));
    assert.ok(index.names.has('tasks.add'));
  });

  test('only changed and removed ids are read: counts follow transitions and evictions', () => {
    const index = new TaskIndex(limits);
    const a = sampleTask('a', { state: 'STARTED', succeeded: null, runtime: null });
    const b = sampleTask('b', { state: 'RECEIVED', succeeded: null, runtime: null });
    index.apply(snapshot(1, 1000, [a, b], ['a', 'b']));
    assert.deepEqual(Object.fromEntries(index.stateCounts), { STARTED: 1, RECEIVED: 1 });
    // The snapshot may hold anything else: tasks not listed as changed are not looked at.
    const poisoned = { ...snapshot(2, 1001, [], ['a']), tasks: new Proxy({}, { get: (_t, k) => (k === 'a' ? sampleTask('a', { runtime: 0.5 }) : assert.fail(`read ${String(k)}`)) }) };
    index.apply(poisoned as Snapshot);
    assert.deepEqual(Object.fromEntries(index.stateCounts), { SUCCESS: 1, RECEIVED: 1 });
    index.apply(snapshot(3, 1002, [], [], ['b']));
    assert.deepEqual(Object.fromEntries(index.stateCounts), { SUCCESS: 1 });
    assert.equal(index.tasks.has('b'), false);
    assert.deepEqual(index.runtimes.percentiles().map((r) => [r.name, r.count, r.p50]), [['tasks.add', 1, 0.5]]);
    // Seen finished again (another field changed): not counted twice.
    index.apply(snapshot(4, 1003, [sampleTask('a', { runtime: 0.5, result: '5' })], ['a']));
    assert.equal(index.minutes.series(1003).finished.reduce((x, y) => x + y, 0), 1);
  });

  test('without `removed` (older kernels) evicted tasks are swept a bounded slice per shutter', () => {
    const index = new TaskIndex(limits);
    const all = Array.from({ length: 1500 }, (_, i) => sampleTask(`t${i}`));
    index.apply(snapshot(1, 1000, all, all.map((t) => t.uuid)));
    const kept = all.slice(1400);
    const noRemoved = (seq: number): Snapshot => ({ ...snapshot(seq, 1000 + seq, kept, []), removed: undefined });
    index.apply(noRemoved(2));
    assert.ok(index.tasks.size < 1500 && index.tasks.size > 100, 'one slice swept');
    index.apply(noRemoved(3));
    assert.equal(index.tasks.size, 100);
    assert.equal(index.stateCounts.get('SUCCESS'), 100);
  });

  test('recent tasks per worker: newest first, bounded', () => {
    const index = new TaskIndex(limits);
    const tasks = ['t1', 't2', 't3', 't4'].map((id) => sampleTask(id));
    for (const [i, t] of tasks.entries()) index.apply(snapshot(i + 1, 1000 + i, [t], [t.uuid]));
    index.apply(snapshot(5, 1005, [tasks[1]], ['t2']));
    assert.deepEqual(index.recentTasks('w1@lab'), ['t2', 't4', 't3']);
  });
});

describe('MinuteRing', () => {
  test('counts per minute over the last hour; older minutes fall out', () => {
    const ring = new MinuteRing(60);
    const t0 = 1_800_000_000 - (1_800_000_000 % 60);
    ring.add(t0 + 1, false, t0 + 1);
    ring.add(t0 + 2, true, t0 + 2);
    ring.add(t0 + 61, false, t0 + 61);
    let s = ring.series(t0 + 61);
    assert.equal(s.minute.length, 60);
    assert.deepEqual(s.finished.slice(-2), [2, 1]);
    assert.deepEqual(s.failureRate.slice(-2), [0.5, 0]);
    s = ring.series(t0 + 3600 + 30);
    assert.deepEqual(s.finished.slice(-1), [0]);
    assert.equal(s.finished.reduce((x, y) => x + y, 0), 1, 'the first minute left the window');
    ring.add(t0 + 3600 * 2, false, t0 + 3600 * 2);
    assert.equal(ring.series(t0 + 3600 * 2).finished.reduce((x, y) => x + y, 0), 1, 'a reused slot starts from zero');
  });
});

describe('RuntimeStats', () => {
  test('nearest-rank p50/p95 over the newest samples; names bounded', () => {
    const stats = new RuntimeStats(100, 2);
    stats.add('b', 1);
    for (let i = 1; i <= 200; i++) stats.add('a', i);
    stats.add('c', 2); // a third name: b, the least recently seen, goes
    const rows = stats.percentiles();
    assert.deepEqual(rows.map((r) => r.name), ['a', 'c']);
    assert.deepEqual([rows[0].count, rows[0].p50, rows[0].p95, rows[0].max], [100, 150, 195, 200]);
  });
});
