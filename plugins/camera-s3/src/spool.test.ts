import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SeqCounter } from './seq-counter.js';
import { Spool } from './spool.js';
import { RecordingLogger, tempDir } from './testing/fakes.js';

const obj = (key: string, size = 100) => ({ key, body: Buffer.alloc(size, key), contentType: 'application/json' });

async function drainKeys(spool: Spool): Promise<string[]> {
  const keys: string[] = [];
  for (let job = await spool.next(); job; job = await spool.next()) {
    keys.push(job.object.key);
    await spool.done(job);
  }
  return keys;
}

test('spool keeps objects in seq order across a reopen, then latest.json last', async () => {
  const dir = tempDir();
  const first = await Spool.open(dir, 1e6, new RecordingLogger());
  for (const seq of [3, 10, 200]) await first.push(seq, obj(`h${seq}`));
  await first.setLatest(obj('latest-old'));
  await first.setLatest(obj('latest-new'));
  const reopened = await Spool.open(dir, 1e6, new RecordingLogger());
  assert.equal(reopened.length, 3);
  assert.equal(reopened.maxSeq, 200);
  assert.deepEqual(await drainKeys(reopened), ['h3', 'h10', 'h200', 'latest-new']);
  assert.ok(reopened.isEmpty);
  assert.deepEqual(readdirSync(dir), [], 'uploaded objects leave no files');
});

test('spool writes are atomic: leftover tmp files of a crashed write are ignored and removed', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, '000000000005.obj.ab12cd34.tmp'), '{"key":"half'); // what a crash mid-write leaves
  const spool = await Spool.open(dir, 1e6, new RecordingLogger());
  assert.ok(spool.isEmpty);
  assert.deepEqual(readdirSync(dir), []);
});

test('spool full: the oldest objects are dropped, counted and logged; the newest and latest.json survive', async () => {
  const dir = tempDir();
  const logger = new RecordingLogger();
  const spool = await Spool.open(dir, 1000, logger); // each object ~ 150 bytes with its header
  await spool.setLatest(obj('latest', 100));
  let dropped = 0;
  for (let seq = 1; seq <= 10; seq++) dropped += await spool.push(seq, obj(`h${seq}`, 100));
  assert.ok(spool.bytes <= 1000, `bounded: ${spool.bytes}`);
  assert.equal(spool.dropped, dropped);
  assert.ok(dropped >= 4, `dropped ${dropped}`);
  const keys = await drainKeys(spool);
  assert.equal(keys.at(-1), 'latest');
  assert.deepEqual(keys.slice(0, -1), Array.from({ length: 10 - dropped }, (_, i) => `h${i + 1 + dropped}`), 'oldest dropped first');
  assert.match(logger.text(), /S3 spool is full: dropped the oldest/);
});

test('a corrupt spool file is set aside instead of blocking the queue forever', async () => {
  const dir = tempDir();
  const spool = await Spool.open(dir, 1e6, new RecordingLogger());
  await spool.push(1, obj('h1'));
  await spool.push(2, obj('h2'));
  writeFileSync(join(dir, '000000000001.obj'), 'no header line');
  assert.deepEqual(await drainKeys(spool), ['h2']);
  assert.deepEqual(readdirSync(dir), ['000000000001.obj.corrupt']);
});

test('SeqCounter is monotonic across restarts and writes once per block, not per shutter', async () => {
  const dir = tempDir();
  const a = await SeqCounter.open(dir);
  const first = [await a.take(), await a.take(), await a.take()];
  assert.deepEqual(first, [1, 2, 3]);
  const b = await SeqCounter.open(dir); // a restart
  const next = await b.take();
  assert.ok(next > 3, `seq after restart ${next}`);
  b.raiseTo(5000); // the spool holds seq 5000
  assert.equal(await b.take(), 5001);
});
