import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Polaroid, type Snapshot } from '@evcam/camera-api';
import { checkCameraConformance, type ConformanceResult } from './index.js';

/** A well-behaved camera: writes only `changed` tasks into a map, like an upserting database. */
class MemoryCamera extends Polaroid {
  static override readonly cameraName = 'memory';
  readonly rows = new Map<string, string>();
  override onShutter(snapshot: Snapshot): void {
    for (const uuid of snapshot.changed.tasks) this.rows.set(uuid, snapshot.tasks[uuid].state);
  }
}

const readRows = ({ camera }: { camera: Polaroid<any> }) => ({ tasks: Object.fromEntries((camera as MemoryCamera).rows) });

function failed(results: ConformanceResult[]): string[] {
  return results.filter((r) => !r.passed && r.skipped === undefined).map((r) => r.name.split(':')[0]);
}

function why(results: ConformanceResult[]): string {
  return results.filter((r) => !r.passed).map((r) => `${r.name}: ${(r.error as Error)?.message ?? r.skipped}`).join('\n');
}

describe('the conformance kit', () => {
  it('passes a camera that keeps the contract, with every check run', async () => {
    const results = await checkCameraConformance(MemoryCamera, { readBack: readRows });
    assert.deepEqual(failed(results), [], why(results));
    assert.equal(results.length, 7);
    assert.ok(results.every((r) => r.passed));
  });

  it('catches a camera that drops snapshots', async () => {
    class Dropping extends MemoryCamera {
      override onShutter(): void {}
    }
    const results = await checkCameraConformance(Dropping, { readBack: readRows });
    assert.deepEqual(failed(results), ['shutters', 'slow backend', 'backend failure', 'backend'], why(results));
  });

  it('catches a camera that writes only the first shutter\'s tasks (ignores `changed` later)', async () => {
    class Stale extends MemoryCamera {
      override onShutter(snapshot: Snapshot): void {
        for (const uuid of snapshot.changed.tasks) if (!this.rows.has(uuid)) this.rows.set(uuid, snapshot.tasks[uuid].state);
      }
    }
    const results = await checkCameraConformance(Stale, { readBack: readRows });
    assert.ok(failed(results).includes('backend'), why(results));
  });

  it('catches a camera that modifies the snapshot it was handed', async () => {
    class Mutating extends MemoryCamera {
      override onShutter(snapshot: Snapshot): void {
        super.onShutter(snapshot);
        for (const task of Object.values(snapshot.tasks)) (task as { state: string }).state = 'MINE';
      }
    }
    const results = await checkCameraConformance(Mutating, { readBack: readRows });
    const shutters = results.find((r) => r.name.startsWith('shutters'));
    assert.match(String((shutters?.error as Error)?.message), /modified snapshot/);
  });

  it('catches a camera whose final shutter is never stored (its backend is gone after its cleanup)', async () => {
    class NoFinal extends MemoryCamera {
      private gone = false;
      override onCleanup(): void { this.gone = true; }
      override onShutter(snapshot: Snapshot): void {
        if (this.gone) throw new Error('backend gone');
        super.onShutter(snapshot);
      }
    }
    const results = await checkCameraConformance(NoFinal, { readBack: readRows });
    assert.deepEqual(failed(results), ['cancel', 'backend'], why(results));
  });

  it('catches a camera whose backend never comes back', async () => {
    const results = await checkCameraConformance(MemoryCamera, {
      readBack: readRows, timeoutMs: 300,
      breakBackend: ({ camera }) => { camera.onShutter = () => { throw new Error('down for good'); }; },
    });
    assert.ok(failed(results).includes('backend failure'), why(results));
  });

  it('fails install, and skips the rest, for options the schema refuses', async () => {
    class Strict extends MemoryCamera {
      static override readonly optionsSchema = {
        '~standard': { version: 1 as const, vendor: 'test', validate: () => ({ issues: [{ message: 'dir is required' }] }) },
      };
    }
    const results = await checkCameraConformance(Strict);
    assert.match(String((results[0].error as Error).message), /dir is required/);
    assert.deepEqual(results.slice(1).map((r) => r.skipped), Array(6).fill('install failed'));
  });

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
