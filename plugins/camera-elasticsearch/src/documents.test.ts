import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitBySize } from './bulk-writer.js';
import { bulkEntry, summarySource, taskSource, workerSource } from './documents.js';
import { PendingBuffer } from './pending-buffer.js';
import { snapshotOf, task, worker } from './testing/fakes.js';

describe('documents', () => {
  it('a task document is the snapshot task field for field, plus @timestamp, snapshot_seq and snapshot_taken_at', () => {
    const t = task('a1', { state: 'FAILURE', exception: "ValueError('boom')", traceback: 'Traceback...\n' });
    const doc = JSON.parse(taskSource(t, { seq: 7, taken_at: 1795514300.25 }));
    const { '@timestamp': at, snapshot_seq: seq, snapshot_taken_at: takenAt, ...rest } = doc;
    assert.deepEqual(rest, t);
    assert.equal(at, '2026-11-24T09:58:17.315Z');
    assert.equal(seq, 7);
    assert.equal(takenAt, 1795514300.25);
  });

  it('a task without a timestamp is dated by the shutter', () => {
    const doc = JSON.parse(taskSource(task('a2', { timestamp: null }), { seq: 1, taken_at: 1795514300 }));
    assert.equal(doc['@timestamp'], new Date(1795514300_000).toISOString());
  });

  it('a worker document carries alive and its last heartbeat', () => {
    const w = worker('w1@lab', { alive: false, heartbeats: [1795514290, 1795514292.5] });
    const doc = JSON.parse(workerSource(w, { seq: 3, taken_at: 1795514300 }));
    assert.equal(doc.alive, false);
    assert.equal(doc.last_heartbeat, 1795514292.5);
    assert.deepEqual(doc.heartbeats, w.heartbeats);
  });

  it('the summary counts tasks by state and alive workers', () => {
    const s = snapshotOf([task('a'), task('b'), task('c', { state: 'FAILURE' }), task('d', { state: 'custom-progress' })],
      [worker('w1'), worker('w2', { alive: false })], 4, { tasks: ['a'], workers: [] });
    const doc = JSON.parse(summarySource(s));
    assert.deepEqual(doc.tasks_by_state, { SUCCESS: 2, FAILURE: 1, 'custom-progress': 1 });
    assert.equal(doc.workers_alive, 1);
    assert.equal(doc.workers_total, 2);
    assert.equal(doc.changed_tasks, 1);
  });

  it('a bulk entry is an index action line and a source line, with its byte size', () => {
    const e = bulkEntry('evcam-tasks', 'é"1', '{"x":1}');
    const [action, source] = e.ndjson.split('\n');
    assert.deepEqual(JSON.parse(action), { index: { _index: 'evcam-tasks', _id: 'é"1' } });
    assert.equal(source, '{"x":1}');
    assert.equal(e.bytes, Buffer.byteLength(e.ndjson + '\n'));
  });

  it('the NDJSON of 10k tasks: an action and a source line per task, sizes that add up', () => {
    const tasks = Array.from({ length: 10_000 }, (_, i) => task(`00000000-0000-0000-0000-${String(i).padStart(12, '0')}`, { result: "'" + 'x'.repeat(200) + "'" }));
    const entries = tasks.map((x) => bulkEntry('evcam-tasks', x.uuid, taskSource(x, { seq: 1, taken_at: 1795514300 })));
    let body = '';
    for (const e of entries) body += e.ndjson + '\n';
    const lines = body.split('\n');
    assert.equal(lines.length, 20_001);
    assert.deepEqual(JSON.parse(lines[19_998]), { index: { _index: 'evcam-tasks', _id: tasks[9_999].uuid } });
    assert.equal(JSON.parse(lines[19_999]).result, tasks[9_999].result);
    assert.equal(entries.reduce((n, e) => n + e.bytes, 0), Buffer.byteLength(body));
  });
});

describe('PendingBuffer', () => {
  it('keeps the newest document per id', () => {
    const b = new PendingBuffer(10);
    b.put(bulkEntry('i', '1', '{"v":1}'));
    b.put(bulkEntry('i', '2', '{"v":1}'));
    b.put(bulkEntry('i', '1', '{"v":2}'));
    assert.deepEqual(b.list().map((e) => [e.id, e.ndjson.split('\n')[1]]), [['2', '{"v":1}'], ['1', '{"v":2}']]);
  });

  it('is bounded: past max the least recently changed is dropped and counted', () => {
    const b = new PendingBuffer(3);
    for (const id of ['1', '2', '3', '1', '4', '5']) b.put(bulkEntry('i', id, '{}'));
    assert.deepEqual(b.list().map((e) => e.id), ['1', '4', '5']);
    assert.equal(b.dropped, 2);
  });

  it('settle removes an entry only if no newer version replaced it', () => {
    const b = new PendingBuffer(3);
    const old = bulkEntry('i', '1', '{"v":1}');
    b.put(old);
    b.put(bulkEntry('i', '1', '{"v":2}'));
    b.settle(old);
    assert.equal(b.size, 1);
  });
});

describe('splitBySize', () => {
  it('packs entries greedily under the byte limit; an oversized entry goes alone', () => {
    const e = (n: number) => ({ ...bulkEntry('i', String(n), '{}'), bytes: n });
    const chunks = splitBySize([e(40), e(50), e(20), e(200), e(10)], 100);
    assert.deepEqual(chunks.map((c) => c.map((x) => x.bytes)), [[40, 50], [20], [200], [10]]);
  });
});
