import assert from 'node:assert/strict';
import { test } from 'node:test';
import { optionsSchema, redactOptions } from './options.js';
import { parseOptions } from './testing/fakes.js';

const issues = (input: unknown) => {
  const r = optionsSchema['~standard'].validate(input);
  if (r instanceof Promise) throw new Error('async');
  return (r.issues ?? []).map((i) => `${(i.path ?? []).map(String).join('.')}: ${i.message}`);
};

test('defaults: prefix evcam/, gzip on, delta off, 256 MiB spool', () => {
  const o = parseOptions({ bucket: 'celery-history' });
  assert.equal(o.prefix, 'evcam/');
  assert.equal(o.gzip, true);
  assert.equal(o.delta, false);
  assert.equal(o.fullEvery, 60);
  assert.equal(o.retention, undefined);
  assert.equal(o.spoolMaxBytes, 256 * 1024 ** 2);
  assert.equal(o.forcePathStyle, false);
});

test('--camera-option strings are coerced (booleans, numbers, durations, sizes)', () => {
  const o = parseOptions({ bucket: 'b1x', forcePathStyle: 'true', gzip: 'false', delta: 'true', fullEvery: '10',
    retention: '7d', spoolMaxBytes: '64MiB', requestTimeout: '2.5', prefix: 'celery/prod' });
  assert.equal(o.forcePathStyle, true);
  assert.equal(o.gzip, false);
  assert.equal(o.delta, true);
  assert.equal(o.fullEvery, 10);
  assert.equal(o.retention, 7 * 86_400);
  assert.equal(o.spoolMaxBytes, 64 * 1024 ** 2);
  assert.equal(o.requestTimeout, 2.5);
  assert.equal(o.prefix, 'celery/prod/', 'a trailing slash is added');
});

test('errors name the option path and say what is expected', () => {
  assert.match(issues({}).join(), /^bucket: is required/);
  assert.match(issues({ bucket: 's3://b/x' }).join(), /bucket: must be a bucket name/);
  assert.match(issues({ bucket: 'bkt', gzip: 'yes' }).join(), /gzip: must be true or false/);
  assert.match(issues({ bucket: 'bkt', retention: 'a week' }).join(), /retention: write a number of seconds/);
  assert.match(issues({ bucket: 'bkt', endpoint: 'localhost:9000' }).join(), /endpoint: must be an http/);
  assert.match(issues({ bucket: 'bkt', accessKeyId: 'AKIA' }).join(), /secretAccessKey: set both accessKeyId and secretAccessKey/);
  assert.match(issues({ bucket: 'bkt', bukcet: 'x' }).join(), /bukcet/, 'unknown keys (typos) are refused');
  assert.match(issues({ bucket: 'bkt', spoolMaxBytes: 10 }).join(), /spoolMaxBytes: must be at least 1024/);
});

test('redactOptions hides all three credentials and endpoint userinfo', () => {
  const o = parseOptions({ bucket: 'bkt', endpoint: 'http://minio:pw@127.0.0.1:9000', accessKeyId: 'AKIAEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG', sessionToken: 'FwoGZXIvYXdzEJr' });
  const text = JSON.stringify(redactOptions(o));
  for (const secret of ['AKIAEXAMPLE', 'wJalrXUtnFEMI/K7MDENG', 'FwoGZXIvYXdzEJr', 'minio:pw']) assert.ok(!text.includes(secret), secret);
  assert.match(text, /"bucket":"bkt"/);
});
