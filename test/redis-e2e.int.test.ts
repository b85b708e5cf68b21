// The Redis broker end to end with the real CLI: the captured Celery-on-Redis stream
// (test/fixtures/redis-5.2.6.jsonl, real workers on DB 7) replayed from the file and
// re-published live on the local Redis both give the State Celery computed from it;
// and a Redis outage mid-stream (a TCP proxy this test controls cuts the kernel off, never
// the shared Redis stopped) is survived, with the gap reported.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { rebuildState } from '@evcam/camera-file';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { startTcpProxy, waitUntil } from '@evcam/camera-testkit';
import { diffAgainstGolden, formatDiffs, readJson, type Golden } from './helpers/golden.js';
import { runKernel, startKernel } from './helpers/kernel-process.js';
import { storedState } from './helpers/stored.js';
import { fixture } from './helpers/paths.js';

interface RedisCaptureLine { recv_ts: number; channel: string; data: string }
const CAPTURE = 'redis-5.2.6.jsonl';
const CAPTURE_DB = 7;
const capture = (): RedisCaptureLine[] =>
  readFileSync(fixture(CAPTURE), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RedisCaptureLine);

/** The captured PUBLISHes, in order, moved from the capture's database to ours (kombu names channels /{db}.). */
async function republish(lines: RedisCaptureLine[], db: number): Promise<void> {
  const pub = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  await pub.connect();
  try {
    for (const l of lines) {
      assert.ok(l.channel.startsWith(`/${CAPTURE_DB}.celeryev/`), l.channel);
      await pub.publish(`/${db}.${l.channel.slice(`/${CAPTURE_DB}.`.length)}`, l.data);
    }
  } finally {
    await pub.quit();
  }
}

/** The file camera's current State (its latest keyframe plus the deltas after it) holds `events` events. */
const latestHas = (file: string, events: number) => async (): Promise<boolean> =>
  (await rebuildState(dirname(file)).catch(() => null))?.event_count === events;

/** Live, heartbeats are our receive times and liveness is judged at "now", not at the capture's end: compare the rest. */
function withoutLiveness(g: Golden): Golden {
  for (const w of Object.values(g.workers)) { delete w.alive; delete w.heartbeats; }
  return g;
}



describe('Redis broker: conformance with Celery\'s State', () => {
  const golden = readJson<Golden>(fixture('redis-5.2.6.golden.json'));

  for (const [goldenFile, limits] of [['redis-5.2.6.golden.json', []], ['redis-5.2.6.max20.golden.json', ['--max-tasks-in-memory', '20', '--max-workers-in-memory', '1']]] as const) {
    test(`replay ${CAPTURE} ${limits.join(' ')} = ${goldenFile}, liveness included`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'evcam-redis-replay-'));
      const run = await runKernel(['replay', fixture(CAPTURE), '--camera', 'file', '--camera-option', `dir=${dir}`, '-l', 'warn', ...limits],
        { env: { TZ: 'UTC' } });
      assert.equal(run.code, 0, run.stderr);
      const ours = readJson<Golden & { taken_at: number }>(join(dir, 'latest.json'));
      const expected = readJson<Golden>(fixture(goldenFile));
      const diffs = diffAgainstGolden(ours, expected);
      assert.equal(diffs.length, 0, formatDiffs(diffs));
      assert.equal(ours.taken_at, expected.now);
    });
  }

  test('live: the capture re-published on Redis DB 11 while `--broker redis://127.0.0.1:6379/11` runs gives the same State', async () => {
    const db = 11;
    const dir = mkdtempSync(join(tmpdir(), 'evcam-redis-live-'));
    const kernel = startKernel(['--broker', `redis://127.0.0.1:6379/${db}`, '--camera', 'file', '--camera-option', `dir=${dir}`, '-F', '0.2', '-l', 'info']);
    try {
      await kernel.waitFor('consuming Celery events');
      assert.match(kernel.stderr(), new RegExp(`"channel":"/${db}\\.celeryev/\\*","pattern":true`));
      await republish(capture(), db);
      const latest = join(dir, 'latest.json');
      await waitUntil(latestHas(latest, golden.event_count), `all ${golden.event_count} events in latest.json`, { timeoutMs: 30_000 });
      assert.equal(await kernel.stop('SIGTERM'), 0, kernel.stderr());
      const ours = readJson<Golden & { schema: string }>(latest);
      assert.equal(ours.schema, 'evcam.snapshot/1');
      const diffs = diffAgainstGolden(withoutLiveness(ours), withoutLiveness(readJson<Golden>(fixture('redis-5.2.6.golden.json'))));
      assert.equal(diffs.length, 0, formatDiffs(diffs));
      assert.doesNotMatch(kernel.stderr(), /skipped a bad event message/);
    } finally {
      await kernel.stop('SIGKILL');
    }
  });

  test('Redis outage mid-stream (proxy cut, then back): the kernel resubscribes, logs the gap, keeps its State and folds the rest', async () => {
    const db = 13;
    const lines = capture();
    const half = Math.floor(lines.length / 2);
    const dir = mkdtempSync(join(tmpdir(), 'evcam-redis-restart-'));
    // Backoff capped at 1 s so the test does not wait out long retries.
    const config = join(dir, 'evcam.config.mjs');
    writeFileSync(config, 'export default { receiver: { reconnect: { minDelay: 0.1, maxDelay: 1 } } };\n');
    const proxy = await startTcpProxy(6379);
    const kernel = startKernel(['--config', config, '--broker', `redis://127.0.0.1:${proxy.port}/${db}`, '--camera', 'file',
      '--camera-option', `dir=${join(dir, 'out')}`, '-F', '0.2', '-l', 'info']);
    try {
      await kernel.waitFor('consuming Celery events');
      await republish(lines.slice(0, half), db);
      const latest = join(dir, 'out', 'latest.json');
      const firstHalfEvents = lines.slice(0, half).reduce((n, l) => {
        const env = JSON.parse(l.data) as { body: string };
        const body = JSON.parse(Buffer.from(env.body, 'base64').toString('utf8')) as unknown;
        return n + (Array.isArray(body) ? body.length : 1);
      }, 0);
      await waitUntil(latestHas(latest, firstHalfEvents), `the first ${firstHalfEvents} events`, { timeoutMs: 30_000 });
      proxy.cut();
      await kernel.waitFor('lost the Redis connection', 20_000);
      proxy.restore();
      await kernel.waitFor('after a gap', 60_000);
      const gapLine = kernel.stderr().split('\n').find((l) => l.includes('after a gap'))!;
      const gap = JSON.parse(gapLine) as { gapSecs: number; from: string; to: string; level: number };
      assert.ok(gap.gapSecs > 0, gapLine);
      assert.ok(Date.parse(gap.to) > Date.parse(gap.from), gapLine);
      assert.equal(gap.level, 40, 'a gap is a warning: events may be missing');
      await republish(lines.slice(half), db);
      await waitUntil(latestHas(latest, golden.event_count), `all ${golden.event_count} events after the restart`, { timeoutMs: 30_000 });
      assert.equal(await kernel.stop('SIGTERM'), 0, kernel.stderr());
      const diffs = diffAgainstGolden(withoutLiveness(readJson<Golden>(latest)), withoutLiveness(readJson<Golden>(fixture('redis-5.2.6.golden.json'))));
      assert.equal(diffs.length, 0, formatDiffs(diffs));
    } finally {
      await kernel.stop('SIGKILL');
      await proxy.close();
    }
  });
});
