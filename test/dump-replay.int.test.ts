// `evcam-kernel dump` records a live stream; `replay` of that recording backfills a camera
// with the same tasks Celery computed — the README's record-and-backfill example.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { diffAgainstGolden, formatDiffs, readJson, type Golden } from './helpers/golden.js';
import { runKernel, startKernel } from './helpers/kernel-process.js';
import { fixture } from './helpers/paths.js';
import { createVhost, publishCaptured, type CapturedMessage } from './helpers/rabbit.js';

describe('dump, then replay', () => {
  let vhost: ReturnType<typeof createVhost>;
  before(() => { vhost = createVhost('evcam-dump'); });
  after(() => vhost.remove());

  test('dump prints every event as one JSON line; replaying the recording gives Celery\'s tasks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-dump-'));
    const dump = startKernel(['dump', '-b', vhost.url, '--limit', '1020', '-l', 'info']);
    try {
      await dump.waitFor('consuming Celery events');
      const messages = readFileSync(fixture('rabbitmq-5.2.6.jsonl'), 'utf8').split('\n').filter(Boolean)
        .map((l) => JSON.parse(l) as CapturedMessage);
      await publishCaptured(vhost.url, messages);
      assert.equal(await dump.exited, 0, dump.stderr());
    } finally {
      await dump.stop('SIGKILL');
    }
    const lines = dump.stdout().trim().split('\n');
    assert.equal(lines.length, 1020, 'one line per event (task.multi arrays unpacked)');
    const events = lines.map((l) => JSON.parse(l) as { type: string; local_received: number; clock?: number });
    assert.ok(events.every((e) => typeof e.type === 'string' && typeof e.local_received === 'number'));
    const sent = events.find((e) => e.type === 'task-sent')!;
    assert.notEqual(sent.clock, undefined, 'as the worker sent it: the receiver adjustments are applied again on replay');

    const recording = join(dir, 'recording.jsonl');
    writeFileSync(recording, `${lines.join('\n')}\n`);
    const snapshots = join(dir, 'snapshots');
    const replay = await runKernel(['replay', recording, '--camera', 'file', '--camera-option', `dir=${snapshots}`, '-l', 'warn']);
    assert.equal(replay.code, 0, replay.stderr);
    const ours = readJson<Golden>(join(snapshots, 'latest.json'));
    const golden = readJson<Golden>(fixture('rabbitmq-5.2.6.golden.json'));
    // Worker heartbeats are receive times, which the recording took live: compare the rest.
    for (const w of [...Object.values(ours.workers), ...Object.values(golden.workers)]) { delete w.alive; delete w.heartbeats; }
    const diffs = diffAgainstGolden(ours, golden);
    assert.equal(diffs.length, 0, formatDiffs(diffs));
  });
});
