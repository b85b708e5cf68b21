import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseCheckpoint, queueFileName, stateDirectory } from './default-file.js';

describe('default checkpoint file (no-loss mode is crash-safe out of the box)', () => {
  const home = '/home/op';

  test('the state directory: $XDG_STATE_HOME/evcam, else ~/.local/state/evcam; a relative XDG_STATE_HOME is ignored', () => {
    assert.equal(stateDirectory({ XDG_STATE_HOME: '/var/lib/op' }, home), '/var/lib/op/evcam');
    assert.equal(stateDirectory({}, home), '/home/op/.local/state/evcam');
    assert.equal(stateDirectory({ XDG_STATE_HOME: '' }, home), '/home/op/.local/state/evcam');
    assert.equal(stateDirectory({ XDG_STATE_HOME: 'rel/dir' }, home), '/home/op/.local/state/evcam');
  });

  test('a named queue alone checkpoints to a per-queue file there', () => {
    assert.deepEqual(chooseCheckpoint({ queue: 'evcam', file: undefined, enabled: true }, { XDG_STATE_HOME: '/s' }, home),
      { kind: 'file', file: '/s/evcam/evcam.checkpoint.json', source: 'default' });
    const a = chooseCheckpoint({ queue: 'prod.events', file: undefined, enabled: true }, {}, home);
    const b = chooseCheckpoint({ queue: 'staging.events', file: undefined, enabled: true }, {}, home);
    assert.ok(a.kind === 'file' && b.kind === 'file' && a.file !== b.file, 'one file per queue');
  });

  test('a named file wins; --no-checkpoint turns it off; the transient queue stays as it was', () => {
    assert.deepEqual(chooseCheckpoint({ queue: 'q', file: './c.json', enabled: true }, {}, home), { kind: 'file', file: './c.json', source: 'config' });
    assert.deepEqual(chooseCheckpoint({ queue: 'q', file: undefined, enabled: false }, {}, home), { kind: 'off', reason: 'disabled' });
    assert.deepEqual(chooseCheckpoint({ queue: 'q', file: './c.json', enabled: false }, {}, home), { kind: 'off', reason: 'disabled' });
    assert.deepEqual(chooseCheckpoint({ queue: undefined, file: undefined, enabled: true }, {}, home), { kind: 'off', reason: 'transient-queue' });
    assert.deepEqual(chooseCheckpoint({ queue: undefined, file: '/x.json', enabled: true }, {}, home), { kind: 'file', file: '/x.json', source: 'config' });
  });

  test('the same queue name on another broker or vhost gets its own file; credentials never show', () => {
    const file = (broker: string) => (chooseCheckpoint({ queue: 'evcam', file: undefined, enabled: true, broker }, {}, home) as { file: string }).file;
    assert.equal(file('amqp://guest:secret@127.0.0.1:5672//'), '/home/op/.local/state/evcam/evcam@127.0.0.1_5672.checkpoint.json');
    assert.equal(file('amqp://guest:secret@127.0.0.1:5672/prod'), '/home/op/.local/state/evcam/evcam@127.0.0.1_5672_prod.checkpoint.json');
    assert.notEqual(file('amqp://rabbit-a//'), file('amqp://rabbit-b//'));
    assert.ok(!file('amqp://guest:secret@h//').includes('secret'));
  });

  test('queue names become one safe file name each: no path separators, no dot files, distinct names stay distinct', () => {
    assert.equal(queueFileName('evcam'), 'evcam.checkpoint.json');
    assert.equal(queueFileName('../etc/passwd'), '%2E.%2Fetc%2Fpasswd.checkpoint.json');
    assert.notEqual(queueFileName('a/b'), queueFileName('a%2Fb'));
    assert.ok(!queueFileName('a b/c\\d').includes('/'));
  });
});
