// Shutdown: SIGTERM/SIGINT stop consuming, take a final shutter through every camera (with a
// deadline), write the final checkpoint (acking what it covers), close and exit 0; a second signal exits at once.
import assert from 'node:assert/strict';
import { waitUntil } from '@evcam/camera-testkit';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readJson, type Golden } from './helpers/golden.js';
import { startKernel, type KernelRun } from './helpers/kernel-process.js';
import { fixture } from './helpers/paths.js';
import { createVhost, listQueues, publishCaptured } from './helpers/rabbit.js';
import { captured, freePort, MISBEHAVING_CAMERA, readLatest, scrape, waitForHttp } from './helpers/reliability.js';

describe('shutdown', () => {
  let vhost: ReturnType<typeof createVhost>;
  const running: KernelRun[] = [];
  before(() => { vhost = createVhost('evcam-shutdown'); });
  after(async () => {
    for (const run of running) await run.stop('SIGKILL');
    vhost.remove();
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal}: final shutter and final checkpoint cover every folded event, all acked, exit 0`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'evcam-shutdown-'));
      const port = await freePort();
      const queue = `evcam-shutdown-${signal}`;
      // freq 60: no periodic shutter or checkpoint happens, so only the shutdown path can store and ack.
      const run = startKernel(['-b', vhost.url, '--queue', queue, '--checkpoint', join(dir, 'cp.json'), '--camera', 'file',
        '--camera-option', `dir=${join(dir, 'snapshots')}`, '-F', '60', '--http-port', String(port)]);
      running.push(run);
      await waitForHttp(run, port);
      const messages = captured();
      await publishCaptured(vhost.url, messages);
      await waitUntil(async () => (await scrape(port)).get('evcam_messages_received_total') === messages.length, 'every message folded', { timeoutMs: 20_000 });
      assert.equal(listQueues(vhost.vhost).find((q) => q.name === queue)?.messages, messages.length, 'nothing acked before a checkpoint');
      assert.equal(await run.stop(signal), 0, run.stderr().slice(-3000));
      const expected = readJson<Golden>(fixture('rabbitmq-5.2.6.golden.json')).event_count;
      assert.equal((await readLatest(join(dir, 'snapshots', 'latest.json')))?.event_count, expected, 'the final shutter was stored');
      assert.equal(readJson<{ state: { eventCount: number } }>(join(dir, 'cp.json')).state.eventCount, expected, 'the final checkpoint');
      const q = listQueues(vhost.vhost).find((x) => x.name === queue);
      assert.deepEqual([q?.messages, q?.consumers], [0, 0], 'acked by the final checkpoint, consumer gone');
    });
  }

  test('a second signal exits at once (130), even while a camera hangs in its final shutter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-shutdown-'));
    const port = await freePort();
    const config = join(dir, 'evcam.config.json');
    writeFileSync(config, JSON.stringify({ broker: vhost.url, http: { port }, finalShutterTimeout: 120,
      cameras: [{ use: MISBEHAVING_CAMERA, options: { mode: 'hang' }, shutterTimeout: 0 }] }));
    const run = startKernel(['--config', config]);
    running.push(run);
    await waitForHttp(run, port);
    run.child.kill('SIGTERM');
    await run.waitFor('stopping: final shutter, then exit');
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 130);
    assert.match(run.stderr(), /second signal: exiting now/);
    assert.doesNotMatch(run.stderr(), /final snapshot was not stored before the deadline/, 'it exited before the 120 s final-shutter deadline ran out');
  });
});
