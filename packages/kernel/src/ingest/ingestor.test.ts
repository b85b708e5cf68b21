// The Ingestor: Celery's EventReceiver.event_from_message adjustments (Lamport clock,
// utcoffset, local_received; celery-events §2.5), task.multi batches, bad input counted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger, type FoldedEvent } from '@evcam/camera-api';
import { CeleryState } from '../state/state.js';
import { Ingestor, type IngestorOptions } from './ingestor.js';

/** An Ingestor on a real State, and the events as folded (after adjustment). */
function ingestor(options: Partial<IngestorOptions> = {}) {
  const state = new CeleryState();
  const ing = new Ingestor(state, silentLogger, { localUtcoffset: () => 0, ...options });
  const folded: FoldedEvent[] = [];
  ing.setCameras([{ camera: { onEvent: (e) => { folded.push({ ...e }); } }, eventFailed: (err) => { throw err; } }]);
  return { state, ing, folded };
}
const json = (body: unknown) => ({ body: Buffer.from(JSON.stringify(body)), contentType: 'application/json', contentEncoding: 'utf-8' });
const task = (type: string, fields: Record<string, unknown> = {}) => ({ type, uuid: 'u1', hostname: 'w@h', timestamp: 100, ...fields });

describe('Lamport clock (kombu LamportClock as the receiver keeps it)', () => {
  test('an event with a clock keeps it and moves the receiver to max(C, clock) + 1', () => {
    const { ing, folded } = ingestor();
    ing.receive(json(task('task-received', { clock: 5 })), 1);
    assert.equal(ing.lamportClock, 6);
    ing.receive(json(task('task-started', { clock: 3 })), 2);
    assert.deepEqual(folded.map((e) => e.clock), [5, 3], 'the sender clock is kept even when behind');
    assert.equal(ing.lamportClock, 7);
  });

  test('an event without a clock gets C + 1', () => {
    const { ing, folded } = ingestor();
    ing.lamportClock = 10;
    ing.receive(json({ type: 'worker-heartbeat', hostname: 'w@h', timestamp: 1 }), 1);
    assert.equal(folded[0].clock, 11);
    assert.equal(ing.lamportClock, 11);
  });

  test('task-sent: the client clock is discarded for (C or 1) - 1 (CLIENT_CLOCK_SKEW)', () => {
    const { ing, folded } = ingestor();
    for (let i = 0; i < 3; i++) ing.receive(json(task('task-sent', { uuid: `s${i}`, clock: 999 })), 1);
    assert.deepEqual(folded.map((e) => e.clock), [0, 0, 1]);
    assert.equal(ing.lamportClock, 3);
    ing.lamportClock = 50;
    ing.receive(json(task('task-sent', { uuid: 's3', clock: 999 })), 1);
    assert.equal(folded[3].clock, 49);
    assert.equal(ing.lamportClock, 51);
  });
});

describe('utcoffset and local_received', () => {
  test('timestamp := timestamp - (utcoffset - local utcoffset) * 3600; local_received := receive time', () => {
    const { ing, folded } = ingestor({ localUtcoffset: () => 5 });
    ing.receive(json(task('task-received', { utcoffset: -2, timestamp: 100_000 })), 123.25);
    ing.receive(json(task('task-started', { utcoffset: 5, timestamp: 100_000 })), 124);
    ing.receive(json(task('task-succeeded', { timestamp: 100_000 })), 125);
    assert.deepEqual(folded.map((e) => e.timestamp), [100_000 + 7 * 3600, 100_000, 100_000], 'no utcoffset: left alone');
    assert.deepEqual(folded.map((e) => e.local_received), [123.25, 124, 125]);
  });

  test('a change of the local offset (DST) is picked up within a minute of receive time', () => {
    let here = 0;
    const { ing, folded } = ingestor({ localUtcoffset: () => here });
    ing.receive(json(task('task-received', { utcoffset: 0 })), 1000);
    here = -1;
    ing.receive(json(task('task-started', { utcoffset: 0 })), 1030);
    ing.receive(json(task('task-succeeded', { utcoffset: 0 })), 1061);
    assert.equal(folded[0].timestamp, 100);
    assert.equal(folded[2].timestamp, 100 - 3600);
  });
});

describe('messages and batches', () => {
  test('a task.multi array folds each event in order; [] is a no-op', () => {
    const { ing, folded, state } = ingestor();
    ing.receive(json([task('task-received', { uuid: 'a' }), task('task-received', { uuid: 'b' }), task('task-started', { uuid: 'a' })]), 1);
    ing.receive(json([]), 2);
    assert.deepEqual(folded.map((e) => `${e.type}:${e.uuid}`), ['task-received:a', 'task-received:b', 'task-started:a']);
    assert.deepEqual([ing.metrics.messages, ing.metrics.folded, ing.metrics.badTotal()], [2, 3, 0]);
    assert.deepEqual([...state.tasks.keys()], ['a', 'b']);
  });

  test('a bad event in a batch is counted and skipped; the rest of the batch folds', () => {
    const { ing, folded } = ingestor();
    ing.receive(json([task('task-received', { uuid: 'a' }), { type: 'task-started' }, 5, task('task-started', { uuid: 'a', timestamp: 'x' }),
      task('task-succeeded', { uuid: 'a' })]), 1);
    assert.deepEqual(folded.map((e) => e.type), ['task-received', 'task-succeeded']);
    assert.deepEqual(Object.fromEntries(ing.metrics.bad), { 'missing-field': 1, 'not-an-event': 1, 'bad-field-type': 1 });
  });

  test('refused messages are counted by reason and never reach the State', () => {
    const { ing, state } = ingestor();
    ing.receive({ ...json(task('task-received')), contentType: 'application/x-python-serialize' }, 1);
    ing.receive({ body: '{', contentType: 'application/json' }, 1);
    ing.receive({ ...json(task('task-received')), compression: 'application/x-bz2' }, 1);
    ing.receive(json({ uuid: 'u1' }), 1);
    assert.deepEqual(Object.fromEntries(ing.metrics.bad), { 'content-type': 1, 'invalid-json': 1, compression: 1, 'missing-type': 1 });
    assert.deepEqual([state.eventCount, state.tasks.size, ing.lamportClock], [0, 0, 0], 'no clock tick for a refused event');
  });

  test('events of other groups are folded (counted by State) and counted as ignored groups', () => {
    const { ing, state } = ingestor();
    ing.receive(json({ type: 'foo-bar', timestamp: 1 }), 1);
    assert.deepEqual([state.eventCount, ing.metrics.folded, ing.metrics.ignoredGroups], [1, 1, 1]);
  });

  test('hold() buffers folded events until released; release(true) clears the State first', () => {
    const { ing, state } = ingestor();
    ing.receive(json(task('task-succeeded', { uuid: 'done' })), 1);
    const release = ing.hold();
    ing.receive(json(task('task-received', { uuid: 'later' })), 2);
    assert.equal(ing.holding, 1);
    assert.equal(state.tasks.has('later'), false, 'not applied while held');
    release(true);
    assert.deepEqual([...state.tasks.keys()], ['later'], 'the finished task was cleared, the held event applied after');
    assert.equal(ing.holding, -1);
  });
});
