// Celery's State semantics, one rule per test. Expectations come from
// celery/events/state.py and celery/states.py (Celery 5.x), not from our output.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger, type Logger } from '@evcam/camera-api';
import type { CeleryEvent } from './records.js';
import { CeleryState } from './state.js';

const W = 'w1@host';

/** A receiver-adjusted event (what Ingestor hands to State.event). */
function ev(type: string, fields: Partial<CeleryEvent> = {}): CeleryEvent {
  const timestamp = fields.timestamp ?? 100;
  return { type, hostname: W, timestamp, local_received: timestamp + 0.5, clock: 1, ...fields };
}
const taskEv = (subject: string, uuid: string, fields: Partial<CeleryEvent> = {}) => ev(`task-${subject}`, { uuid, ...fields });

function fold(state: CeleryState, ...events: CeleryEvent[]): CeleryState {
  for (const e of events) state.event(e);
  return state;
}

const snap = (state: CeleryState, now = 1000) => state.snapshot(0, 1, now).snapshot;
const taskOf = (state: CeleryState, uuid: string, now?: number) => snap(state, now).tasks[uuid];
const workerOf = (state: CeleryState, hostname: string, now?: number) => snap(state, now).workers[hostname];
const order = (state: CeleryState) => [...state.tasks.keys()];

describe('task merge rules (Task.event)', () => {
  test('events in order: the state follows, each subject stamps its own time field', () => {
    const s = fold(new CeleryState(),
      taskEv('received', 'a', { timestamp: 1, name: 'add', args: '(1, 2)', kwargs: '{}', retries: 0 }),
      taskEv('started', 'a', { timestamp: 2 }),
      taskEv('succeeded', 'a', { timestamp: 3, result: '3', runtime: 0.5 }));
    const t = taskOf(s, 'a');
    assert.equal(t.state, 'SUCCESS');
    assert.deepEqual([t.received, t.started, t.succeeded, t.timestamp], [1, 2, 3, 3]);
    assert.deepEqual([t.name, t.args, t.result, t.runtime, t.worker], ['add', '(1, 2)', '3', 0.5, W]);
  });

  test('a late task-received keeps only name/args/kwargs/parent_id/root_id/retries/eta/expires', () => {
    const s = fold(new CeleryState(),
      taskEv('succeeded', 'a', { timestamp: 3, clock: 30, result: '3' }),
      taskEv('received', 'a', {
        timestamp: 1, clock: 10, name: 'add', args: '(1,)', kwargs: '{}', retries: 2, eta: 'E', expires: 'X',
        parent_id: 'p', root_id: 'r', result: 'stale', exchange: 'ex',
      }));
    const t = taskOf(s, 'a');
    assert.equal(t.state, 'SUCCESS');
    assert.deepEqual([t.name, t.args, t.kwargs, t.retries, t.eta, t.expires, t.parent_id, t.root_id], ['add', '(1,)', '{}', 2, 'E', 'X', 'p', 'r']);
    assert.equal(t.received, 1, 'the subject time field is set even for a late event');
    assert.deepEqual([t.timestamp, t.clock, t.result, t.exchange], [3, 30, '3', null], 'nothing else is taken from it');
  });

  test('any other late event copies all its fields (timestamp and clock included) but not its state', () => {
    const s = fold(new CeleryState(),
      taskEv('succeeded', 'a', { timestamp: 3, clock: 30 }),
      taskEv('started', 'a', { timestamp: 2, clock: 20 }));
    const t = taskOf(s, 'a');
    assert.equal(t.state, 'SUCCESS');
    assert.deepEqual([t.started, t.timestamp, t.clock], [2, 2, 20]);
  });

  test('equal precedence is not late: the newer event wins', () => {
    const s = fold(new CeleryState(), taskEv('started', 'a', { timestamp: 2, clock: 5 }), taskEv('started', 'a', { timestamp: 1, clock: 6 }));
    assert.deepEqual([taskOf(s, 'a').started, taskOf(s, 'a').timestamp, taskOf(s, 'a').clock], [1, 1, 6]);
  });

  test('RETRY applies in both directions', () => {
    const late = fold(new CeleryState(), taskEv('succeeded', 'a', { timestamp: 3 }), taskEv('retried', 'a', { timestamp: 2, exception: 'E' }));
    assert.equal(taskOf(late, 'a').state, 'RETRY', 'a late task-retried still reverts SUCCESS');
    assert.equal(taskOf(late, 'a').timestamp, 2);
    const again = fold(new CeleryState(), taskEv('retried', 'b', { timestamp: 2 }), taskEv('received', 'b', { timestamp: 3, retries: 1, name: 'n' }));
    assert.equal(taskOf(again, 'b').state, 'RECEIVED', 'the retry attempt replaces RETRY');
    assert.deepEqual([taskOf(again, 'b').retries, taskOf(again, 'b').timestamp], [1, 3]);
  });

  test('FAILURE beats REVOKED/STARTED; SUCCESS beats FAILURE', () => {
    const s = fold(new CeleryState(),
      taskEv('failed', 'a', { timestamp: 2 }), taskEv('revoked', 'a', { timestamp: 3 }), taskEv('started', 'a', { timestamp: 1 }));
    assert.equal(taskOf(s, 'a').state, 'FAILURE');
    assert.deepEqual([taskOf(s, 'a').failed, taskOf(s, 'a').revoked, taskOf(s, 'a').started], [2, 3, 1]);
    fold(s, taskEv('succeeded', 'a', { timestamp: 4 }));
    assert.equal(taskOf(s, 'a').state, 'SUCCESS');
  });

  test('task-sent: PENDING, client = sender, no worker; a late task-sent overwrites fields but not the state', () => {
    const s = fold(new CeleryState(), taskEv('sent', 'a', { hostname: 'gen1@client', timestamp: 1, name: 'sent-name', queue: 'celery' }));
    let t = taskOf(s, 'a');
    assert.deepEqual([t.state, t.sent, t.client, t.worker, t.name], ['PENDING', 1, 'gen1@client', null, 'sent-name']);
    assert.equal(s.workers.size, 0, 'a client is not a worker');
    fold(s, taskEv('received', 'b', { timestamp: 2, name: 'recv-name' }), taskEv('sent', 'b', { hostname: 'gen1@client', timestamp: 1, name: 'sent-name' }));
    t = taskOf(s, 'b');
    assert.deepEqual([t.state, t.client, t.worker, t.name, t.timestamp], ['RECEIVED', 'gen1@client', W, 'sent-name', 1]);
  });

  test('custom states rank between FAILURE and REVOKED and set no time field', () => {
    const s = fold(new CeleryState(),
      taskEv('started', 'a', { timestamp: 1 }), taskEv('progress', 'a', { timestamp: 2, done: 50 }));
    assert.equal(taskOf(s, 'a').state, 'PROGRESS');
    assert.ok(!('progress' in taskOf(s, 'a')), 'only as_dict fields are exported');
    fold(s, taskEv('revoked', 'a', { timestamp: 3 }));
    assert.equal(taskOf(s, 'a').state, 'PROGRESS', 'REVOKED is weaker than a custom state');
    assert.equal(taskOf(s, 'a').revoked, 3);
    fold(s, taskEv('cancelled', 'a', { timestamp: 4 }));
    assert.equal(taskOf(s, 'a').state, 'CANCELLED', 'two custom states have equal precedence: the newer wins');
    fold(s, taskEv('succeeded', 'a', { timestamp: 5 }), taskEv('progress', 'a', { timestamp: 6 }));
    assert.equal(taskOf(s, 'a').state, 'SUCCESS');
  });

  test('subjects named like Object.prototype members are ordinary custom states', () => {
    const s = fold(new CeleryState(), taskEv('constructor', 'a'), taskEv('__proto__', 'b'), taskEv('toString', 'c'));
    assert.deepEqual([taskOf(s, 'a').state, taskOf(s, 'b').state, taskOf(s, 'c').state], ['CONSTRUCTOR', '__PROTO__', 'TOSTRING']);
  });

  test('the snapshot task is Celery\'s as_dict(): every field, worker as hostname, root/parent as ids', () => {
    const s = fold(new CeleryState(), taskEv('received', 'a', { parent_id: 'p', root_id: 'r' }));
    const t = taskOf(s, 'a');
    const celeryFields = ['uuid', 'name', 'state', 'received', 'sent', 'started', 'rejected', 'succeeded', 'failed', 'retried',
      'revoked', 'args', 'kwargs', 'eta', 'expires', 'retries', 'worker', 'result', 'exception', 'timestamp', 'runtime',
      'traceback', 'exchange', 'routing_key', 'clock', 'client', 'root', 'root_id', 'parent', 'parent_id', 'children'];
    assert.deepEqual(Object.keys(t).sort(), celeryFields.sort());
    assert.deepEqual([t.worker, t.parent, t.root, t.children], [W, 'p', 'r', []]);
  });
});

describe('counters', () => {
  test('event_count counts every event (ignored groups and incomplete worker events too); task_count counts task-received', () => {
    const s = fold(new CeleryState(),
      taskEv('received', 'a'), taskEv('received', 'a'), taskEv('started', 'a'),
      ev('foo-bar'), ev('worker-heartbeat', { timestamp: undefined }));
    assert.equal(s.eventCount, 5);
    assert.equal(s.taskCount, 2);
    assert.equal(s.workers.size, 1, 'only the task events made a worker');
  });
});

describe('workers, heartbeats and liveness', () => {
  test('worker events copy the worker fields; heartbeats are receive times', () => {
    const s = fold(new CeleryState(), ev('worker-online', {
      timestamp: 100, local_received: 100.25, freq: 2, pid: 42, active: 1, processed: 7, loadavg: [0.1, 0.2, 0.3],
      sw_ident: 'py-celery', sw_ver: '5.2.6', sw_sys: 'Linux', clock: 9,
    }));
    const w = workerOf(s, W, 101);
    assert.deepEqual({ ...w }, {
      hostname: W, pid: 42, freq: 2, heartbeats: [100.25], clock: 9, active: 1, processed: 7, loadavg: [0.1, 0.2, 0.3],
      sw_ident: 'py-celery', sw_ver: '5.2.6', sw_sys: 'Linux', alive: true,
    });
  });

  test('alive while now < last heartbeat + freq * 2', () => {
    const s = fold(new CeleryState(), ev('worker-heartbeat', { timestamp: 100, local_received: 100, freq: 2 }));
    assert.equal(workerOf(s, W, 103.999).alive, true);
    assert.equal(workerOf(s, W, 104).alive, false);
  });

  test('at most 4 heartbeats, sorted; a full list drops its oldest even for an older beat', () => {
    const s = new CeleryState();
    for (const at of [1, 2, 3, 4, 5]) fold(s, ev('worker-heartbeat', { timestamp: at, local_received: at }));
    assert.deepEqual(workerOf(s, W).heartbeats, [2, 3, 4, 5]);
    fold(s, ev('worker-heartbeat', { timestamp: 2.5, local_received: 2.5 }));
    assert.deepEqual(workerOf(s, W).heartbeats, [2.5, 3, 4, 5]);
    fold(s, ev('worker-heartbeat', { timestamp: 4, local_received: 4 }));
    assert.deepEqual(workerOf(s, W).heartbeats, [3, 4, 4, 5], 'bisect.insort keeps duplicates');
  });

  test('worker-offline empties the heartbeats and keeps the worker; an unknown worker going offline is not stored', () => {
    const s = fold(new CeleryState(),
      ev('worker-online', { timestamp: 100, local_received: 100, freq: 2 }), ev('worker-offline', { timestamp: 101, local_received: 101 }),
      ev('worker-offline', { hostname: 'ghost@host' }));
    const w = workerOf(s, W, 101);
    assert.deepEqual([w.heartbeats, w.alive], [[], false]);
    assert.deepEqual([...s.workers.keys()], [W]);
  });

  test('a worker seen only through task events has freq 60 and the *sender* timestamps as heartbeats', () => {
    const s = fold(new CeleryState(), taskEv('started', 'a', { timestamp: 100, local_received: 130 }));
    const w = workerOf(s, W, 219);
    assert.deepEqual([w.freq, w.heartbeats, w.alive], [60, [100], true]);
    assert.equal(workerOf(s, W, 220).alive, false);
  });

  test('a zero timestamp feeds no heartbeat (Celery checks truthiness)', () => {
    const s = fold(new CeleryState(), ev('worker-heartbeat', { timestamp: 0, local_received: 5 }), taskEv('started', 'a', { timestamp: 0 }));
    assert.deepEqual(workerOf(s, W).heartbeats, []);
  });

  test('drift over 16 s (whole seconds) is warned once per hostname', () => {
    const warnings: unknown[] = [];
    const logger: Logger = { ...silentLogger, warn: (obj: unknown) => { warnings.push(obj); } };
    const s = new CeleryState({}, logger);
    fold(s, ev('worker-heartbeat', { timestamp: 101, local_received: 117.9 }));
    assert.equal(warnings.length, 0, 'int(117.9) - int(101) = 16 is not over the limit');
    fold(s, ev('worker-heartbeat', { timestamp: 101, local_received: 118 }), ev('worker-heartbeat', { timestamp: 101, local_received: 200 }));
    fold(s, taskEv('started', 'a', { hostname: 'w2@host', timestamp: 200, local_received: 100 }));
    assert.deepEqual(warnings.map((w) => (w as { hostname: string }).hostname), [W, 'w2@host']);
  });
});

describe('LRU (max_tasks_in_memory, max_workers_in_memory)', () => {
  test('at capacity the oldest first-seen task goes; events for a held task do not bump it', () => {
    const s = fold(new CeleryState({ maxTasksInMemory: 3 }), taskEv('received', 'a'), taskEv('received', 'b'), taskEv('received', 'c'));
    fold(s, taskEv('started', 'a'), taskEv('received', 'd'));
    assert.deepEqual(order(s), ['b', 'c', 'd']);
    assert.equal(taskOf(s, 'a'), undefined);
  });

  test('a child event bumps its parent (Celery reads tasks[parent_id]), after the child was inserted', () => {
    const s = fold(new CeleryState({ maxTasksInMemory: 3 }), taskEv('received', 'p'), taskEv('received', 'a'),
      taskEv('received', 'c', { parent_id: 'p' }));
    assert.deepEqual(order(s), ['a', 'c', 'p']);
    fold(s, taskEv('received', 'd'));
    assert.deepEqual(order(s), ['c', 'p', 'd'], 'a goes, not the parent');
    fold(s, taskEv('started', 'c'));
    assert.deepEqual(order(s), ['c', 'd', 'p'], 'every event of the child bumps the parent, not just its first');
  });

  test('the parent can be evicted by its own child\'s insertion (insert happens before the parent lookup)', () => {
    const s = fold(new CeleryState({ maxTasksInMemory: 2 }), taskEv('received', 'p'), taskEv('received', 'a'),
      taskEv('received', 'c', { parent_id: 'p' }));
    assert.deepEqual(order(s), ['a', 'c']);
    fold(s, taskEv('received', 'p'));
    assert.deepEqual(taskOf(s, 'p').children, ['c'], 'the child waited for its parent to come back');
  });

  test('an evicted child leaves its parent\'s children', () => {
    const s = fold(new CeleryState({ maxTasksInMemory: 3 }), taskEv('received', 'c1', { parent_id: 'p' }), taskEv('received', 'p'),
      taskEv('received', 'c2', { parent_id: 'p' }));
    assert.deepEqual(taskOf(s, 'p').children, ['c1', 'c2']);
    fold(s, taskEv('received', 'x'));
    assert.deepEqual(order(s), ['c2', 'p', 'x']);
    assert.deepEqual(taskOf(s, 'p').children, ['c2']);
  });

  test('unbounded when the limit is 0', () => {
    const s = new CeleryState({ maxTasksInMemory: 0 });
    for (let i = 0; i < 20_050; i++) s.event(taskEv('received', `t${i}`));
    assert.equal(s.tasks.size, 20_050);
  });

  test('workers: oldest first-seen goes at capacity', () => {
    const s = fold(new CeleryState({ maxWorkersInMemory: 2 }),
      ev('worker-online', { hostname: 'a' }), ev('worker-online', { hostname: 'b' }), ev('worker-heartbeat', { hostname: 'a' }),
      ev('worker-online', { hostname: 'c' }));
    assert.deepEqual([...s.workers.keys()], ['b', 'c']);
  });
});

describe('children and orphans', () => {
  test('children are sorted ids, whichever arrives first', () => {
    const s = fold(new CeleryState(), taskEv('received', 'c2', { parent_id: 'p' }), taskEv('received', 'p'),
      taskEv('received', 'c1', { parent_id: 'p' }), taskEv('started', 'c2', { parent_id: 'p' }));
    assert.deepEqual(taskOf(s, 'p').children, ['c1', 'c2']);
  });
});

describe('clear and clear_tasks', () => {
  const mixed = () => fold(new CeleryState(),
    taskEv('succeeded', 's'), taskEv('started', 'st'), taskEv('failed', 'f'), taskEv('received', 'r'), taskEv('revoked', 'rv'),
    taskEv('retried', 'rt'), taskEv('sent', 'pd'), taskEv('rejected', 'rj'), taskEv('progress', 'cu'),
    ev('worker-online', { hostname: 'w2@host' }));

  test('clear(): workers emptied, ready tasks dropped, in-progress (custom states too) kept in order, counters zeroed', () => {
    const s = mixed();
    s.clear();
    assert.deepEqual(order(s), ['st', 'r', 'rt', 'pd', 'rj', 'cu']);
    assert.equal(s.workers.size, 0);
    assert.deepEqual([s.eventCount, s.taskCount], [0, 0]);
  });

  test('clear(false) drops every task', () => {
    const s = mixed();
    s.clear(false);
    assert.deepEqual([s.tasks.size, s.workers.size], [0, 0]);
  });

  test('clear_tasks() keeps workers and counters', () => {
    const s = mixed();
    s.clearTasks();
    assert.deepEqual(order(s), ['st', 'r', 'rt', 'pd', 'rj', 'cu']);
    assert.deepEqual([s.workers.size, s.eventCount, s.taskCount], [2, 10, 1]);
    s.clearTasks(false);
    assert.equal(s.tasks.size, 0);
    assert.equal(s.eventCount, 10);
  });

  test('a kept child still waiting for its parent is adopted after a clear (_tasks_to_resolve survives)', () => {
    const s = fold(new CeleryState(), taskEv('started', 'c', { parent_id: 'p' }));
    s.clear();
    fold(s, taskEv('received', 'p'));
    assert.deepEqual(taskOf(s, 'p').children, ['c']);
  });

  test('after a clear, a known hostname makes a new worker (fresh heartbeats)', () => {
    const s = fold(new CeleryState(), ev('worker-heartbeat', { timestamp: 1, local_received: 1, freq: 2 }));
    s.clear();
    fold(s, ev('worker-heartbeat', { timestamp: 9, local_received: 9 }));
    assert.deepEqual([workerOf(s, W).heartbeats, workerOf(s, W).freq], [[9], 60]);
  });
});
