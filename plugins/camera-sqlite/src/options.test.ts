import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOptionsWith } from '@evcam/camera-testkit';
import { optionsSchema } from './options.js';

const parse = (input: Record<string, unknown>) => parseOptionsWith(optionsSchema, input);

test('defaults: ./evcam.db, WAL, 5 s busy timeout, no retention', () => {
  assert.deepEqual(parse({}), { file: './evcam.db', wal: true, busyTimeout: 5, retentionBatch: 5000 });
});

test('--camera-option strings and retention per state', () => {
  const o = parse({ wal: 'false', busyTimeout: '250ms', retention: { SUCCESS: '1d', default: '3d' } });
  assert.equal(o.wal, false);
  assert.equal(o.busyTimeout, 0.25);
  assert.deepEqual(o.retention, { SUCCESS: 86400, default: 259200 });
});

test('bad values are refused', () => {
  assert.throws(() => parse({ file: '' }));
  assert.throws(() => parse({ busyTimeout: 'forever' }), /seconds/);
  assert.throws(() => parse({ walmode: true }), /walmode|Unrecognized/i);
});
