// Spawns `node --test` on a plugin-like test file: an integration test (real process).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

describe('the conformance kit in a plugin\'s own test run', () => {
  it('runCameraConformance makes `node --test` fail for a camera that drops snapshots, naming the checks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-kit-broken-'));
    try {
      const file = join(dir, 'broken.test.mjs');
      writeFileSync(file, [
        `import { Polaroid } from ${JSON.stringify(import.meta.resolve('@evcam/camera-api'))};`,
        `import { runCameraConformance } from ${JSON.stringify(new URL('./index.js', import.meta.url).href)};`,
        'class Dropping extends Polaroid { static cameraName = "dropping"; rows = {}; onShutter() {} }',
        'runCameraConformance(Dropping, { readBack: ({ camera }) => ({ tasks: camera.rows }) });',
      ].join('\n'));
      // Outside this runner's context (NODE_TEST_CONTEXT), as a plugin's own test file runs.
      const env = { ...process.env, NODE_TEST_CONTEXT: undefined };
      const run = spawnSync(process.execPath, ['--test-reporter=spec', file], { encoding: 'utf8', timeout: 60_000, env });
      assert.equal(run.status, 1, run.stdout + run.stderr);
      assert.match(run.stdout, /✔ install/);
      assert.match(run.stdout, /✖ shutters/);
      assert.match(run.stdout, /✖ backend: holds every task/);
      assert.match(run.stdout, /the backend does not hold snapshot \d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
