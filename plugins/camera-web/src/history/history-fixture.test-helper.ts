import assert from 'node:assert/strict';
import type { TaskSnapshot } from '@evcam/camera-api';
import { fixtureSnapshot } from '@evcam/camera-testkit';
import { pageOf, parseTaskQuery } from '../task-query.js';
import type { HistoryStore } from './store.js';

export const fixtureTasks = (): TaskSnapshot[] => Object.values(fixtureSnapshot().tasks);

/** The store pages through the same tasks, in the same order, as the in-memory listing does. */
export async function checkStoreAgainstMemory(store: HistoryStore, tasks: TaskSnapshot[]): Promise<void> {
  for (const qs of ['sort=-timestamp&limit=17', 'sort=name&limit=40', 'sort=-runtime&limit=25', 'state=FAILURE&limit=7', 'q=ERROR&limit=5', 'q=rO&limit=9', 'q=eRror(&limit=4', 'sort=started&limit=30']) {
    const ids: string[] = [];
    let cursor: string | null = null;
    const memory: string[] = [];
    let mcursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const q = parseTaskQuery(new URLSearchParams(cursor === null ? qs : `${qs}&cursor=${cursor}`), 2e9);
      const rows = await store.search(q, q.limit + 1);
      ids.push(...rows.slice(0, q.limit).map((t) => t.uuid));
      // Resume as the server does: after the last row shown.
      cursor = rows.length > q.limit ? pageOf(rows, { ...q, cursor: null }).next : null;
      const mq = parseTaskQuery(new URLSearchParams(mcursor === null ? qs : `${qs}&cursor=${mcursor}`), 2e9);
      const page = pageOf(tasks, mq);
      memory.push(...page.tasks.map((t) => t.uuid));
      mcursor = page.next;
      if (cursor === null && mcursor === null) break;
    }
    assert.deepEqual(ids, memory, qs);
    assert.ok(ids.length > 0, qs);
  }
  const one = tasks.find((t) => t.traceback !== null)!;
  assert.deepEqual(await store.get(one.uuid), { ...one, children: [...one.children] });
  assert.equal(await store.get('missing'), null);
  const parent = tasks.find((t) => t.children.some((c) => c !== t.uuid))!;
  const kids = (await store.children(parent.uuid, 100)).sort();
  assert.deepEqual(kids, tasks.filter((t) => t.parent_id === parent.uuid && t.uuid !== parent.uuid).map((t) => t.uuid).sort());
  const sums = await store.summaries([one.uuid, 'missing']);
  assert.deepEqual(sums.get(one.uuid), { name: one.name, state: one.state });
  assert.equal(sums.has('missing'), false);
}
