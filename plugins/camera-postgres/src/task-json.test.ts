import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaskSnapshot } from '@evcam/camera-api';
import { TextCleaner } from '@evcam/history-schema';
import { tasksJson } from './task-json.js';

const task = (over: Partial<TaskSnapshot>): TaskSnapshot => ({
  uuid: 'u1', name: 'proj.add', state: 'SUCCESS', received: 1.5, sent: null, started: null, rejected: null, succeeded: 2.25,
  failed: null, retried: null, revoked: null, args: '(1, 2)', kwargs: '{}', eta: null, expires: null, retries: 0,
  worker: 'celery@a', result: '3', exception: null, timestamp: 2.25, runtime: 0.75, traceback: null, exchange: '',
  routing_key: 'celery', clock: 7, client: null, root: 'u1', root_id: 'u1', parent: null, parent_id: null, children: [], ...over,
});

test('clean tasks are serialised as they are, nothing counted', () => {
  const cleaner = new TextCleaner('postgres');
  const tasks = [task({ args: "('a\\\\u0000', \"q'\")" }), task({ uuid: 'u2', children: ['c1'] })];
  const json = tasksJson(tasks, cleaner);
  assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(tasks)));
  assert.equal(cleaner.take(), 0);
});

test('NUL and lone surrogates are replaced with U+FFFD and counted, children too', () => {
  const cleaner = new TextCleaner('postgres');
  const tasks = [task({ args: 'a\u0000b', result: 'x\uD800y', children: ['c\u0000'] }), task({ uuid: 'u2' })];
  const parsed = JSON.parse(tasksJson(tasks, cleaner)) as TaskSnapshot[];
  assert.equal(parsed[0]!.args, 'a\uFFFDb');
  assert.equal(parsed[0]!.result, 'x\uFFFDy');
  assert.deepEqual(parsed[0]!.children, ['c\uFFFD']);
  assert.deepEqual(parsed[1], JSON.parse(JSON.stringify(tasks[1])));
  assert.equal(cleaner.take(), 3);
  assert.equal(tasks[0]!.args, 'a\u0000b', 'the snapshot is not changed');
});
