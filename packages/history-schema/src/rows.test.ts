import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixtureSnapshot } from '@evcam/camera-testkit';
import { rowToTask, rowToWorker, taskToRow, workerToRow } from './rows.js';
import { REPLACEMENT_CHARACTER, TextCleaner } from './text.js';
import { TASK_COLUMN_NAMES, WORKER_COLUMN_NAMES } from './columns.js';

test('every shipped task and worker survives taskToRow → rowToTask unchanged, field for field', () => {
  const snapshot = fixtureSnapshot();
  const uuids = Object.keys(snapshot.tasks);
  assert.ok(uuids.length > 100, 'the fixture has tasks');
  for (const uuid of uuids) {
    const task = snapshot.tasks[uuid]!;
    const row = taskToRow(task, { seq: 7, takenAt: snapshot.taken_at }, new TextCleaner('postgres'));
    assert.deepEqual(Object.keys(row), TASK_COLUMN_NAMES, 'row keys are the table columns, in order');
    assert.deepEqual(rowToTask(row as never), task);
  }
  for (const worker of Object.values(snapshot.workers)) {
    const row = workerToRow(worker, { seq: 7, takenAt: snapshot.taken_at });
    assert.deepEqual(Object.keys(row), WORKER_COLUMN_NAMES);
    assert.deepEqual(rowToWorker(row as never), worker);
  }
});

test('text a database cannot hold is replaced with U+FFFD and counted, per dialect', () => {
  const pg = new TextCleaner('postgres');
  const lite = new TextCleaner('sqlite');
  assert.equal(pg.clean("it's; DROP TABLE tasks; --"), "it's; DROP TABLE tasks; --");
  assert.equal(pg.clean('a\u0000b'), `a${REPLACEMENT_CHARACTER}b`);
  assert.equal(lite.clean('a\u0000b'), 'a\u0000b', 'SQLite keeps NUL');
  assert.equal(pg.clean('x\uD800y'), `x${REPLACEMENT_CHARACTER}y`);
  assert.equal(lite.clean('x\uDC00'), `x${REPLACEMENT_CHARACTER}`);
  assert.equal(lite.clean('pair \uD83D\uDE00 ok'), 'pair \uD83D\uDE00 ok', 'a well-formed pair is kept');
  assert.equal(pg.take(), 2);
  assert.equal(pg.take(), 0);
  assert.equal(lite.replaced, 1);
});
