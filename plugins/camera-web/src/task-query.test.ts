import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixtureSnapshot, sampleTask } from '@evcam/camera-testkit';
import { pageOf, parseTaskQuery, QueryError, type TaskQuery } from './task-query.js';

const NOW = 1_795_514_400;
const query = (qs: string): TaskQuery => parseTaskQuery(new URLSearchParams(qs), NOW);
const tasks = Object.values(fixtureSnapshot().tasks);

/** Every page of a query, following its cursors. */
function allPages(qs: string): string[] {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const page = pageOf(tasks, query(cursor === null ? qs : `${qs}&cursor=${cursor}`));
    seen.push(...page.tasks.map((t) => t.uuid));
    cursor = page.next;
    if (cursor === null) return seen;
  }
  throw new Error('pagination does not end');
}

describe('task queries', () => {
  test('cursor pagination visits every matching task once, in the sort order', () => {
    for (const sort of ['-timestamp', 'timestamp', 'name', '-runtime', 'state']) {
      const seen = allPages(`sort=${sort}&limit=7`);
      assert.equal(new Set(seen).size, seen.length, `${sort}: no repeats`);
      assert.equal(seen.length, tasks.length, `${sort}: all tasks`);
    }
    const byTime = allPages('sort=-timestamp&limit=13').map((id) => tasks.find((t) => t.uuid === id)!.timestamp ?? -Infinity);
    assert.deepEqual(byTime, [...byTime].sort((a, b) => b - a));
  });

  test('filters: state, name, worker, queue, text and time window', () => {
    const failed = tasks.filter((t) => t.state === 'FAILURE').map((t) => t.uuid).sort();
    assert.ok(failed.length > 0);
    assert.deepEqual(allPages('state=FAILURE&limit=500').sort(), failed);
    assert.deepEqual(allPages('state=failure,revoked').length, tasks.filter((t) => t.state === 'FAILURE' || t.state === 'REVOKED').length);
    assert.ok(allPages('name=tasks.add').every((id) => tasks.find((t) => t.uuid === id)!.name === 'tasks.add'));
    const w = tasks.find((t) => t.worker)!.worker!;
    assert.equal(allPages(`worker=${encodeURIComponent(w)}`).length, tasks.filter((t) => t.worker === w).length);
    assert.equal(allPages('queue=celery').length, tasks.filter((t) => t.routing_key === 'celery').length);
    const one = tasks.find((t) => t.exception)!;
    const word = one.exception!.slice(0, 8).toUpperCase();
    assert.ok(allPages(`q=${encodeURIComponent(word)}`).includes(one.uuid), 'case-insensitive text search in exception');
    assert.deepEqual(allPages(`q=${one.uuid.slice(4, 20)}`), [one.uuid]);
    assert.deepEqual(pageOf([sampleTask('x', { args: '(".*+?",)' })], query('q=.*%2B?')).tasks.map((t) => t.uuid), ['x'], 'regex characters are literal');
    const newest = Math.max(...tasks.map((t) => t.timestamp ?? 0));
    assert.deepEqual(allPages(`since=${newest}`), tasks.filter((t) => t.timestamp === newest).map((t) => t.uuid));
    assert.equal(query('since=15m').since, NOW - 900);
  });

  test('bad parameters are 400s that say what to send', () => {
    assert.throws(() => query('sort=args'), (e: Error) => e instanceof QueryError && /sort must be one of/.test(e.message));
    assert.throws(() => query('limit=0'), /limit must be a whole number from 1 to 500/);
    assert.throws(() => query('cursor=garbage'), /cursor is not one this server wrote/);
    assert.throws(() => query('since=yesterday'), /since must be epoch seconds/);
  });
});
