// Restart recovery: the State is checkpointed; in no-loss mode a message is acked only once a
// checkpoint covers it, so kill -9 at any moment followed by a restart loses and double-counts nothing.
import assert from 'node:assert/strict';
import { waitUntil } from '@evcam/camera-testkit';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { diffAgainstGolden, formatDiffs, readJson, type Golden } from './helpers/golden.js';
import { startKernel, type KernelRun } from './helpers/kernel-process.js';
import { fixture } from './helpers/paths.js';
import { createVhost, listQueues, publishCaptured } from './helpers/rabbit.js';
import { captured, freePort, waitForHttp, readLatest, scrape, withoutLiveFields } from './helpers/reliability.js';

const golden = (): Golden => withoutLiveFields(readJson<Golden>(fixture('rabbitmq-5.2.6.golden.json')));

function assertGolden(latestPath: string): void {
  const ours = withoutLiveFields(readJson<Golden>(latestPath));
  const diffs = diffAgainstGolden(ours, golden());
  assert.equal(diffs.length, 0, formatDiffs(diffs));
}

describe('restart recovery (real kernel processes, real RabbitMQ, kill -9)', () => {
  let vhost: ReturnType<typeof createVhost>;
  const running: KernelRun[] = [];
  before(() => { vhost = createVhost('evcam-restart'); });
  after(async () => {
    for (const run of running) await run.stop('SIGKILL');
    vhost.remove();
  });

  function kernel(dir: string, queue: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): KernelRun {
    const run = startKernel(['-b', vhost.url, '--queue', queue, '--checkpoint', join(dir, 'checkpoint.json'),
      '--camera', 'file', '--camera-option', `dir=${join(dir, 'snapshots')}`, '-l', 'info', ...extra], { env });
    running.push(run);
    return run;
  }

  test('kill -9 in the middle of the stream, publish the rest while down, restart: equal to the golden', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-restart-'));
    const latest = join(dir, 'snapshots', 'latest.json');
    const messages = captured();
    const first = kernel(dir, 'evcam-restart-a', ['-F', '0.2']);
    await first.waitFor('consuming Celery events');
    await publishCaptured(vhost.url, messages.slice(0, 400));
    // Killed once a full checkpoint and at least one journal entry after it are on disk.
    const journal = join(dir, 'checkpoint.json.journal');
    await waitUntil(async () => ((await readLatest(latest))?.event_count ?? 0) > 0 && existsSync(journal) && readFileSync(journal, 'utf8').includes('\n'),
      'a shutter, a checkpoint and a journal entry', { timeoutMs: 30_000 });
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, null, 'killed, not exited');
    await publishCaptured(vhost.url, messages.slice(400));

    const second = kernel(dir, 'evcam-restart-a', ['-F', '0.2']);
    await second.waitFor('restored the State from the checkpoint');
    assert.match(second.stderr(), /"journalEntries":[1-9]/, 'restored from the full checkpoint and its journal');
    const expected = golden().event_count;
    await waitUntil(async () => ((await readLatest(latest))?.event_count ?? 0) >= expected, `${expected} events in latest.json`, { timeoutMs: 30_000 });
    await waitUntil(() => listQueues(vhost.vhost).find((q) => q.name === 'evcam-restart-a')?.messages === 0, 'every message acked', { timeoutMs: 10_000 });
    assert.equal(await second.stop('SIGTERM'), 0, second.stderr());
    assertGolden(latest);
  });

  test('killed after a checkpoint was written but before its acks: redelivered messages are skipped, not folded twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-restart-'));
    const latest = join(dir, 'snapshots', 'latest.json');
    const messages = captured();
    // One shutter (hence one checkpoint) 3 s after start; the failpoint kills the kernel between the write and the acks.
    const first = kernel(dir, 'evcam-restart-b', ['-F', '3'], { EVCAM_FAILPOINT: 'after-checkpoint-write' });
    await first.waitFor('consuming Celery events');
    await publishCaptured(vhost.url, messages.slice(0, 300));
    assert.equal(await first.exited, null, `the failpoint killed it:\n${first.stderr()}`);
    const saved = readJson<{ state: { eventCount: number }; fingerprints: string[] }>(join(dir, 'checkpoint.json'));
    assert.equal(saved.fingerprints.length, 300, 'every unacked message is fingerprinted');
    assert.ok(saved.state.eventCount > 0);
    assert.equal(listQueues(vhost.vhost).find((q) => q.name === 'evcam-restart-b')?.messages, 300, 'nothing was acked');

    const port = await freePort();
    const second = kernel(dir, 'evcam-restart-b', ['-F', '0.2', '--http-port', String(port)]);
    await waitForHttp(second, port);
    await second.waitFor('consuming Celery events');
    await publishCaptured(vhost.url, messages.slice(300));
    const expected = golden().event_count;
    await waitUntil(async () => ((await readLatest(latest))?.event_count ?? 0) >= expected, `${expected} events in latest.json`, { timeoutMs: 30_000 });
    await waitUntil(() => listQueues(vhost.vhost).find((q) => q.name === 'evcam-restart-b')?.messages === 0, 'every message acked', { timeoutMs: 10_000 });
    const metrics = await scrape(port);
    assert.equal(metrics.get('evcam_duplicate_messages_total'), 300, `each redelivered message recognised once:\n${second.stderr().slice(0, 3000)}`);
    assert.equal(metrics.get('evcam_messages_received_total'), messages.length - 300, 'the rest was folded, each message once');
    assert.equal(await second.stop('SIGTERM'), 0, second.stderr());
    assertGolden(latest);
    assert.match(second.stderr(), /skipping redelivered messages whose events are already in State/);
  });

  test('a corrupt checkpoint is moved aside with a clear log line; the kernel starts and writes a fresh one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-restart-'));
    const file = join(dir, 'checkpoint.json');
    writeFileSync(file, '{"format":"evcam.checkpoint/1","lamport":12,"state":{"tas');
    const run = startKernel(['-b', vhost.url, '--checkpoint', file, '--camera', 'file', '--camera-option', `dir=${join(dir, 'snapshots')}`, '-F', '0.2']);
    running.push(run);
    await run.waitFor('consuming Celery events');
    assert.match(run.stderr(), /checkpoint is unusable \(corrupt or from an incompatible version\): moved it aside/);
    const aside = readdirSync(dir).filter((f) => f.startsWith('checkpoint.json.corrupt-'));
    assert.equal(aside.length, 1);
    await publishCaptured(vhost.url, captured().slice(0, 50));
    assert.equal(await run.stop('SIGTERM'), 0, run.stderr());
    const fresh = JSON.parse(readFileSync(file, 'utf8')) as { format: string; state: { eventCount: number } };
    assert.equal(fresh.format, 'evcam.checkpoint/1');
  });
});
