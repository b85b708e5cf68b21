// checkEvent: what an event must carry so that State can fold it without the
// KeyErrors/TypeErrors that would end Celery's capture loop (celery-events §2, §3.3-3.4).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkEvent } from './decode.js';

const MAX_DEPTH = 32;
const task = { type: 'task-started', uuid: 'u1', hostname: 'w@h', timestamp: 1.5 };
const worker = { type: 'worker-heartbeat', hostname: 'w@h', timestamp: 1.5, freq: 2 };
const check = (ev: unknown) => checkEvent(ev, MAX_DEPTH);
const without = (ev: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(ev).filter(([k]) => k !== key));

describe('checkEvent', () => {
  test('well-formed task, worker and other-group events pass', () => {
    assert.equal(check(task), null);
    assert.equal(check(worker), null);
    assert.equal(check({ ...task, type: 'task-progress', clock: 4, utcoffset: -2, anything: { nested: [1] } }), null);
    assert.equal(check({ type: 'foo-bar' }), null, 'other groups need only a type: State counts and ignores them');
    assert.equal(check({ type: 'worker-elect-ack', hostname: 'w@h', timestamp: 1 }), null);
  });

  test('not-an-event: anything but a plain object', () => {
    for (const ev of [null, undefined, 5, 'task-sent', true, [], [task]]) assert.equal(check(ev), 'not-an-event', JSON.stringify(ev));
  });

  test('missing-type and bad-type', () => {
    assert.equal(check(without(task, 'type')), 'missing-type');
    for (const type of [5, null, '', 'task', '-started', ['task-sent']]) assert.equal(check({ ...task, type }), 'bad-type', JSON.stringify(type));
  });

  test('missing-field: task events need uuid, hostname, timestamp; worker events hostname, timestamp', () => {
    for (const key of ['uuid', 'hostname', 'timestamp']) assert.equal(check(without(task, key)), 'missing-field', key);
    for (const key of ['hostname', 'timestamp']) assert.equal(check(without(worker, key)), 'missing-field', key);
    assert.equal(check(without(worker, 'freq')), null, 'freq is optional');
  });

  test('bad-field-type: the fields arithmetic or lookups are done on', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ ...task, timestamp: '1.5' }, 'string timestamp'], [{ ...task, timestamp: Number.NaN }, 'NaN timestamp'],
      [{ ...task, timestamp: Number.POSITIVE_INFINITY }, 'infinite timestamp'], [{ ...task, clock: '3' }, 'string clock'],
      [{ ...task, clock: null }, 'null clock'], [{ ...task, utcoffset: null }, 'null utcoffset'],
      [{ ...task, uuid: '' }, 'empty uuid'], [{ ...task, uuid: 7 }, 'numeric uuid'], [{ ...task, hostname: '' }, 'empty hostname'],
      [{ ...worker, hostname: ['w'] }, 'array hostname'], [{ ...worker, freq: '2' }, 'string freq'], [{ ...worker, timestamp: null }, 'null timestamp'],
    ];
    for (const [ev, what] of bad) assert.equal(check(ev), 'bad-field-type', what);
  });

  test('too-deep: a field nested beyond maxDepth', () => {
    const nest = (n: number) => { let v: unknown = 1; for (let i = 0; i < n; i++) v = { v }; return v; };
    assert.equal(checkEvent({ ...task, kwargs: nest(3) }, 3), null);
    assert.equal(checkEvent({ ...task, kwargs: nest(4) }, 3), 'too-deep');
    assert.equal(checkEvent({ ...task, args: [[[[1]]]] }, 3), 'too-deep', 'arrays count as levels');
  });
});
