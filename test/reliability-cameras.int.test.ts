// Camera outage: a camera whose onShutter throws, hangs or is slow never stops ingestion or the
// other cameras; a camera that fails at start makes the kernel exit (config error) or retry (backend down).
import assert from 'node:assert/strict';
import { waitUntil } from '@evcam/camera-testkit';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readJson, type Golden } from './helpers/golden.js';
import { runKernel, startKernel, type KernelRun } from './helpers/kernel-process.js';
import { fixture } from './helpers/paths.js';
import { createVhost, declareCeleryev, publishCaptured } from './helpers/rabbit.js';
import { captured, freePort, healthz, MISBEHAVING_CAMERA, readLatest, scrape, waitForHttp } from './helpers/reliability.js';

function writeConfig(dir: string, config: Record<string, unknown>): string {
  const path = join(dir, 'evcam.config.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** The same camera module under another path, so it gets its own name (cameras are named by how they are configured). */
function cameraCopy(dir: string, name: string): string {
  const path = join(dir, `${name}.mjs`);
  writeFileSync(path, `export { default } from ${JSON.stringify(MISBEHAVING_CAMERA)};\n`);
  return path;
}

describe('camera outage', () => {
  let vhost: ReturnType<typeof createVhost>;
  const running: KernelRun[] = [];
  before(async () => { vhost = createVhost('evcam-cameras'); await declareCeleryev(vhost.url); });
  after(async () => {
    for (const run of running) await run.stop('SIGKILL');
    vhost.remove();
  });

  test('a hanging, a throwing and a slow camera never stop ingestion or the file camera; health is per camera', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-outage-'));
    const port = await freePort();
    const hang = cameraCopy(dir, 'hang');
    const fail = cameraCopy(dir, 'fail');
    const slow = cameraCopy(dir, 'slow');
    const config = writeConfig(dir, {
      broker: vhost.url, freq: 0.2, maxBackoff: 0.5, finalShutterTimeout: 1, http: { port },
      cameras: [
        { use: 'file', options: { dir: join(dir, 'snapshots'), history: false } },
        { use: hang, options: { mode: 'hang' }, shutterTimeout: 0.3 },
        { use: fail, options: { mode: 'throw' } },
        { use: slow, options: { mode: 'slow', delayMs: 1500 } },
      ],
    });
    const run = startKernel(['--config', config, '-l', 'info']);
    running.push(run);
    await waitForHttp(run, port);
    await publishCaptured(vhost.url, captured());
    const expected = readJson<Golden>(fixture('rabbitmq-5.2.6.golden.json')).event_count;
    const latest = join(dir, 'snapshots', 'latest.json');
    await waitUntil(async () => (await readLatest(latest))?.event_count === expected, 'the file camera to store every event', { timeoutMs: 30_000 });
    // Let the misbehaving cameras fail a few times with capped backoff (0.5 s).
    await waitUntil(async () => {
      const cams = (await healthz(port)).cameras as { name: string; failures: number; timeouts: number; superseded: number }[];
      const by = (p: string) => cams.find((c) => c.name === p) as { failures: number; timeouts: number; superseded: number };
      // The hanging camera ignores its AbortSignal: one timeout, then no new shutter until that call settles.
      return by(hang).timeouts >= 1 && by(fail).failures >= 3 && by(slow).superseded >= 1;
    }, 'repeated failures of the misbehaving cameras', { timeoutMs: 20_000 });
    const health = await healthz(port);
    assert.equal(health.status, 'degraded');
    const camera = (name: string) => (health.cameras as { name: string; status: string; lastError: string | null }[]).find((c) => c.name === name);
    assert.equal(camera('file')?.status, 'ok');
    assert.equal(camera(hang)?.status, 'hung');
    assert.match(camera(hang)?.lastError ?? '', /did not finish within 0.3 s/);
    assert.equal(camera(fail)?.lastError, 'backend exploded');
    assert.equal(health.state.eventCount, expected, 'ingestion carried on');
    const metrics = await scrape(port);
    assert.equal(metrics.get(`evcam_camera_timeouts_total{camera="${hang}"}`), 1, 'an abandoned onShutter is never overlapped by a new one');
    assert.ok((metrics.get(`evcam_camera_failures_total{camera="${fail}"}`) ?? 0) >= 3);
    assert.equal(metrics.get('evcam_camera_up{camera="file",status="ok"}'), 1);
    // Stop: the hanging camera's final shutter is given up after finalShutterTimeout; the kernel still exits 0.
    assert.equal(await run.stop('SIGTERM'), 0, run.stderr().slice(-3000));
    assert.match(run.stderr(), /final snapshot was not stored before the deadline/);
  });

  test('a camera refusing to start (config error): the kernel names it, says why and exits 78', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-outage-'));
    const bad = cameraCopy(dir, 'bucketless');
    const config = writeConfig(dir, { broker: vhost.url, cameras: ['file', { use: bad, options: { mode: 'refuse-start' } }], cameraOptions: { dir: join(dir, 's') } });
    const { code, stderr } = await runKernel(['--config', config], { timeoutMs: 30_000 });
    assert.equal(code, 78, stderr);
    assert.match(stderr, new RegExp(`EVCAM_ERR_CAMERA_START: camera "${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" failed to start: bucket "nope" does not exist`));
  });

  test('a camera whose backend is down: cameraStartPolicy "exit" exits 69, "retry" keeps ingesting and retries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-outage-'));
    const down = cameraCopy(dir, 'down');
    const cameras = [{ use: 'file', options: { dir: join(dir, 'snapshots'), history: false } }, { use: down, options: { mode: 'backend-down' } }];
    const exiting = await runKernel(['--config', writeConfig(dir, { broker: vhost.url, cameras, cameraStartPolicy: 'exit' })], { timeoutMs: 30_000 });
    assert.equal(exiting.code, 69, exiting.stderr);
    assert.match(exiting.stderr, /camera ".*down\.mjs" failed to start: backend at 127\.0\.0\.1:1 refused the connection \(cameraStartPolicy is "exit"/);

    const port = await freePort();
    const run = startKernel(['--config', writeConfig(dir, { broker: vhost.url, cameras, cameraStartPolicy: 'retry', freq: 0.2, http: { port } })]);
    running.push(run);
    await waitForHttp(run, port);
    assert.match(run.stderr(), /camera backend is not available; the other cameras and ingestion carry on, retrying/);
    await publishCaptured(vhost.url, captured().slice(0, 100));
    await waitUntil(async () => ((await readLatest(join(dir, 'snapshots', 'latest.json')))?.event_count ?? 0) > 0, 'the file camera to store', { timeoutMs: 20_000 });
    assert.equal(await run.stop('SIGTERM'), 0, run.stderr().slice(-3000));
  });
});
