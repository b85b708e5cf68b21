import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEta, Phase, PHASE, STRIDE, TaskTable } from './task-table.js';

describe('TaskTable', () => {
  it('remembers up to its capacity, forgetting the older generation at once', () => {
    const table = new TaskTable(4);
    const slots = ['a', 'b', 'c', 'd'].map((u) => table.slot(u));
    assert.equal(new Set(slots).size, 4);
    assert.equal(table.slot('a'), slots[0]);
    for (const u of ['a', 'b', 'c', 'd']) table.advance(table.slot(u), Phase.STARTED);
    table.slot('e'); // the generation holding a, b is dropped
    assert.equal(table.find('a'), -1);
    assert.equal(table.find('b'), -1);
    assert.equal(table.find('c'), slots[2]);
    assert.equal(table.size, 3);
    const phases = [...table.rec].filter((v, i) => i % STRIDE === PHASE && v === Phase.STARTED).length;
    assert.equal(phases, 2, 'forgotten tasks no longer count as started');
  });

  it('never moves a task back, except that a retry starts it over', () => {
    const table = new TaskTable(10);
    const s = table.slot('x');
    table.advance(s, Phase.STARTED);
    table.advance(s, Phase.RECEIVED);
    assert.equal(table.rec[s + PHASE], Phase.STARTED);
    table.rec[s + PHASE] = Phase.RETRY;
    table.advance(s, Phase.RECEIVED);
    assert.equal(table.rec[s + PHASE], Phase.RECEIVED);
  });

  it('reads Celery eta strings', () => {
    assert.equal(parseEta('2026-12-02T10:00:00+00:00'), Date.UTC(2026, 11, 2, 10) / 1000);
    assert.ok(Number.isNaN(parseEta(null)));
    assert.ok(Number.isNaN(parseEta('soon')));
  });
});
