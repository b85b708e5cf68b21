// End to end: the real CLI consumes the captured Celery stream from a real RabbitMQ
// `celeryev` exchange and the file camera's latest.json holds what Celery computed.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitUntil } from '@evcam/camera-testkit';
import { diffAgainstGolden, formatDiffs, readJson, type Golden } from './helpers/golden.js';
import { startKernel } from './helpers/kernel-process.js';
import { storedState } from './helpers/stored.js';
import { fixture } from './helpers/paths.js';
import { createVhost, listQueues, publishCaptured, type CapturedMessage } from './helpers/rabbit.js';

const capture = (): CapturedMessage[] =>
  readFileSync(fixture('rabbitmq-5.2.6.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as CapturedMessage);

describe('evcam-kernel against the real RabbitMQ', () => {
  let vhost: ReturnType<typeof createVhost>;
  before(() => { vhost = createVhost('evcam-e2e'); });
  after(() => vhost.remove());

  test('folds the captured stream published to celeryev and stores it with the file camera', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-e2e-'));
    const kernel = startKernel(['-b', vhost.url, '--camera', 'file', '--camera-option', `dir=${dir}`, '-F', '0.2', '-l', 'info']);
    try {
      await kernel.waitFor('consuming Celery events');
      const queues = listQueues(vhost.vhost);
      assert.equal(queues.length, 1);
      assert.match(queues[0].name, /^celeryev\.[0-9a-f-]{36}$/);
      await publishCaptured(vhost.url, capture());
      const latest = join(dir, 'latest.json');
      await waitUntil(async () => (await storedState<Golden>(dir))?.event_count === 1020, 'all 1020 events stored', { timeoutMs: 30_000 });
      assert.equal(await kernel.stop('SIGTERM'), 0, kernel.stderr());
      const ours = readJson<Golden & { schema: string; seq: number }>(latest);
      const golden = readJson<Golden>(fixture('rabbitmq-5.2.6.golden.json'));
      assert.equal(ours.schema, 'evcam.snapshot/1');
      // Live, heartbeats are our receive times and liveness is judged now: compare everything else.
      for (const w of [...Object.values(ours.workers), ...Object.values(golden.workers)]) { delete w.alive; delete w.heartbeats; }
      const diffs = diffAgainstGolden(ours, golden);
      assert.equal(diffs.length, 0, formatDiffs(diffs));
      const states = Object.values(ours.tasks).map((t) => t.state);
      assert.equal(states.filter((s) => s === 'SUCCESS').length, Object.values(golden.tasks).filter((t) => t.state === 'SUCCESS').length);
      // Keyframes (the first shutter's and the final one) with the shutters between them as deltas.
      const keyframes = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'latest.json');
      assert.ok(keyframes.length >= 2, `a first and a final keyframe: ${keyframes}`);
      assert.ok(readdirSync(dir).some((f) => f.endsWith('.deltas.jsonl')), 'shutters between keyframes stored as deltas');
      assert.match(kernel.stdout(), /-> evcam: Taking snapshots with file \(every 0\.2 secs\.\)/);
    } finally {
      await kernel.stop('SIGKILL');
    }
    await waitUntil(() => listQueues(vhost.vhost).length === 0, 'the auto-delete queue to go away', { timeoutMs: 10_000 });
  });
});
