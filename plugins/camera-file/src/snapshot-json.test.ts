import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Snapshot, TaskSnapshot, WorkerSnapshot } from '@evcam/camera-api';
import { snapshotJsonSlices } from './snapshot-json.js';

async function snapshotJsonPieces(snapshot: Snapshot): Promise<string[]> {
  const pieces: string[] = [];
  for await (const piece of snapshotJsonSlices(snapshot)) pieces.push(piece);
  return pieces;
}

function task(uuid: string, i: number): TaskSnapshot {
  return {
    uuid, name: 'tasks.add', state: i % 3 ? 'SUCCESS' : 'STARTED', received: 1795514300.5 + i, sent: null, started: 1795514301 + i,
    rejected: null, succeeded: i % 3 ? 1795514302.25 : null, failed: null, retried: null, revoked: null,
    args: `(${i}, "quote \\" and \u00e9 \u2028")`, kwargs: '{}', eta: null, expires: null, retries: 0, worker: 'w1@lab',
    result: String(i * 2), exception: null, timestamp: 1795514302.25 + i, runtime: 0.001 * i, traceback: null,
    exchange: '', routing_key: 'celery', clock: i, client: 'gen1@vm', root: uuid, root_id: uuid, parent: null, parent_id: null,
    children: i % 7 === 0 ? ['b', 'a'] : [],
  };
}

function worker(hostname: string): WorkerSnapshot {
  return { hostname, pid: 1, freq: 2, heartbeats: [1, 2.5], clock: 3, active: 0, processed: 9, loadavg: [0.1, 0.2, 0.3],
    sw_ident: 'py-celery', sw_ver: '5.2.6', sw_sys: 'Linux', alive: true };
}

function snapshot(tasks: number, workers: number): Snapshot {
  const s: Snapshot = {
    schema: 'evcam.snapshot/1', seq: 7, taken_at: 1795514400.125, event_count: tasks * 4, task_count: tasks,
    workers: {}, tasks: {}, changed: { workers: [], tasks: [] },
  };
  // Integer-like ids are ordered first by JS objects: the pieces must follow the same order.
  for (let i = 0; i < tasks; i++) {
    const id = i % 250 === 0 ? String(i) : `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    s.tasks[id] = task(id, i);
    if (i % 2) s.changed.tasks.push(id);
  }
  for (let i = 0; i < workers; i++) s.workers[`w${i}@lab`] = worker(`w${i}@lab`);
  return s;
}

describe('snapshotJsonSlices', () => {
  test('joins to exactly JSON.stringify(snapshot), whatever the size (0, one slice, many slices)', async () => {
    for (const [tasks, workers] of [[0, 0], [1, 1], [99, 2], [100, 0], [101, 3], [2345, 1200]]) {
      const s = snapshot(tasks, workers);
      assert.equal((await snapshotJsonPieces(s)).join(''), JSON.stringify(s), `${tasks} tasks, ${workers} workers`);
    }
  });

  test('members JSON.stringify leaves out (undefined values) are left out too', async () => {
    const s = snapshot(3, 1) as unknown as Record<string, unknown>;
    s.extra = undefined;
    (s.tasks as Record<string, unknown>).ghost = undefined;
    assert.equal((await snapshotJsonPieces(s as unknown as Snapshot)).join(''), JSON.stringify(s));
  });

  test('a big snapshot is serialised in slices: the event loop runs between them', async () => {
    const s = snapshot(5000, 0);
    let turns = 0;
    const tick = (): void => { turns++; if (pending) setImmediate(tick); };
    let pending = true;
    setImmediate(tick);
    const pieces = await snapshotJsonPieces(s);
    pending = false;
    assert.ok(pieces.length >= 50, `expected one piece per 100 tasks, got ${pieces.length}`);
    assert.ok(turns >= 5, `the event loop should have turned while serialising, it turned ${turns} times`);
  });
});
