import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOptionsWith } from '@evcam/camera-testkit';
import { REDACTED } from '@evcam/options';
import { optionsSchema, redactOptions } from './options.js';

const parse = (input: Record<string, unknown>) => parseOptionsWith(optionsSchema, input);

test('defaults: schema evcam, 2 connections, 30 s statement timeout, no retention', () => {
  const o = parse({});
  assert.equal(o.schema, 'evcam');
  assert.equal(o.poolSize, 2);
  assert.equal(o.statementTimeout, 30);
  assert.equal(o.retention, undefined);
});

test('--camera-option strings: durations, counts, booleans, retention per state', () => {
  const o = parse({ poolSize: '4', statementTimeout: '500ms', ssl: 'true', retention: { SUCCESS: '1d', FAILURE: '7d', default: '3d' } });
  assert.equal(o.poolSize, 4);
  assert.equal(o.statementTimeout, 0.5);
  assert.equal(o.ssl, true);
  assert.deepEqual(o.retention, { SUCCESS: 86400, FAILURE: 604800, default: 259200 });
  assert.deepEqual(parse({ retention: '12h' }).retention, { default: 43200 });
});

test('bad values are refused with what to write', () => {
  assert.throws(() => parse({ url: 'mysql://x' }), /postgres:\/\//);
  assert.throws(() => parse({ schema: 'a; drop' }), /identifier/);
  assert.throws(() => parse({ retention: { SUCCESS: 'soon' } }), /duration|seconds/);
  assert.throws(() => parse({ poolsize: 3 }), /poolsize|Unrecognized/i);
});

test('redactOptions hides the password and TLS key', () => {
  const r = redactOptions(parse({ url: 'postgres://evcam:hunter2@db:5432/app', ssl: { key: 'PEM', rejectUnauthorized: false } }));
  assert.equal(r.url, `postgres://evcam:${REDACTED}@db:5432/app`);
  assert.deepEqual(r.ssl, { key: REDACTED, rejectUnauthorized: false });
  assert.doesNotMatch(JSON.stringify(r), /hunter2|PEM/);
});
