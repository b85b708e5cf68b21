// No-loss mode is crash-safe out of the box: `--queue NAME` alone checkpoints to a per-queue file in
// the state directory, so kill -9 mid-stream (malformed messages interleaved) and a restart without
// --checkpoint lose and double-count nothing. --no-checkpoint says what it gives up.
import assert from 'node:assert/strict';
import { waitUntil } from '@evcam/camera-testkit';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { diffAgainstGolden, formatDiffs, readJson, type Golden } from './helpers/golden.js';
import { goldenWithCustom, hostileStream, publishSteadily } from './helpers/ha.js';
import { startKernel, type KernelRun } from './helpers/kernel-process.js';
import { fixture } from './helpers/paths.js';
import { createVhost, listQueues } from './helpers/rabbit.js';
import { captured, readLatest, withoutLiveFields } from './helpers/reliability.js';

describe('default checkpoint in no-loss mode (real kernel processes, real RabbitMQ, kill -9)', () => {
  let vhost: ReturnType<typeof createVhost>;
  const running: KernelRun[] = [];
  before(() => { vhost = createVhost('evcam-defcp'); });
  after(async () => {
    for (const run of running) await run.stop('SIGKILL');
    vhost.remove();
  });

  const kernel = (dir: string, queue: string, extra: string[] = []): KernelRun => {
    const run = startKernel(['-b', vhost.url, '--queue', queue, '--camera', 'file', '--camera-option', `dir=${join(dir, 'snapshots')}`,
      '-F', '0.2', '-l', 'info', ...extra], { env: { XDG_STATE_HOME: join(dir, 'state') } });
    running.push(run);
    return run;
  };

  test('--queue alone: kill -9 mid-stream, restart without --checkpoint, the final snapshot equals the golden', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-defcp-'));
    const latest = join(dir, 'snapshots', 'latest.json');
    const checkpoint = join(dir, 'state', 'evcam', `evcam-defcp@127.0.0.1_5672_${vhost.vhost}.checkpoint.json`);
    const custom = 25;
    const stream = hostileStream(captured(), { bad: 2000, custom, seed: 7 });
    const first = kernel(dir, 'evcam-defcp');
    await first.waitFor('consuming Celery events');
    assert.match(first.stderr(), new RegExp(`"checkpoint":"${checkpoint.replace(/[.]/g, '\\.')}"`), 'the start-up log says where the checkpoint is');
    let killedAt = 0;
    await publishSteadily(vhost.url, stream, {
      chunk: 100, pauseMs: 20,
      afterChunk: async (_i, sent) => {
        if (killedAt > 0 || sent < stream.length / 2) return;
        await waitUntil(async () => existsSync(checkpoint) && ((await readLatest(latest))?.event_count ?? 0) > 0, 'a shutter and a default checkpoint', { timeoutMs: 30_000 });
        first.child.kill('SIGKILL');
        killedAt = sent;
      },
    });
    assert.equal(await first.exited, null, 'killed, not exited');
    assert.ok(killedAt > 0 && killedAt < stream.length, 'killed mid-stream');

    const second = kernel(dir, 'evcam-defcp');
    await second.waitFor('restored the State from the checkpoint');
    const expected = goldenWithCustom(withoutLiveFields(readJson<Golden>(fixture('rabbitmq-5.2.6.golden.json'))), custom);
    await waitUntil(() => listQueues(vhost.vhost).find((q) => q.name === 'evcam-defcp')?.messages === 0, 'every message acked', { timeoutMs: 30_000 });
    await waitUntil(async () => ((await readLatest(latest))?.event_count ?? 0) >= expected.event_count, `${expected.event_count} events in latest.json`, { timeoutMs: 30_000 });
    assert.equal(await second.stop('SIGTERM'), 0, second.stderr());
    const diffs = diffAgainstGolden(withoutLiveFields(readJson<Golden>(latest)), expected);
    assert.equal(diffs.length, 0, formatDiffs(diffs));
  });

  test('--no-checkpoint: a warning that a crash then loses the State, and no file is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-defcp-'));
    const run = kernel(dir, 'evcam-defcp-off', ['--no-checkpoint']);
    await run.waitFor('consuming Celery events');
    assert.match(run.stderr(), /"level":40[^\n]*checkpoints are off \(--no-checkpoint \/ checkpoint: false\): a crash loses the State/);
    assert.match(run.stderr(), /"checkpoint":null/);
    assert.equal(await run.stop('SIGTERM'), 0, run.stderr());
    assert.equal(existsSync(join(dir, 'state', 'evcam')), false, 'nothing in the state directory');
  });
});
