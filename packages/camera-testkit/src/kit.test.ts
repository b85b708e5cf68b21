import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Polaroid, type Snapshot } from '@evcam/camera-api';
import { autoFreq, checkCameraConformance, readDeliveries, type ConformanceResult, type KitRun } from './index.js';

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
    assert.equal(results.length, 9);
    assert.ok(results.every((r) => r.passed));
  });

  it('catches a camera that drops snapshots', async () => {
    class Dropping extends MemoryCamera {
      override onShutter(): void {}
    }
    const results = await checkCameraConformance(Dropping, { readBack: readRows });
    assert.deepEqual(failed(results), ['shutters', 'slow backend', 'backend failure', 'backend', 'eviction', 'large snapshot'], why(results));
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
    assert.deepEqual(results.slice(1).map((r) => r.skipped), Array(8).fill('install failed'));
  });

  // A short capture: 46 deliveries, its first 30 % within 0.16 s of receive time.
  const SHORT = fileURLToPath(new URL('../../../test/fixtures/custom-5.2.6.jsonl', import.meta.url));

  /** Correct, but slow like a real database: each write takes 5 ms, and so does reading back. */
  class SlowMemoryCamera extends MemoryCamera {
    override async onShutter(snapshot: Snapshot): Promise<void> {
      await sleep(5);
      super.onShutter(snapshot);
    }
  }
  const readRowsSlowly = async (kit: { camera: Polaroid<any> }) => {
    await sleep(5);
    return readRows(kit);
  };

  it('passes a correct camera on a short fixture, picking a freq so several shutters fall in each phase', async () => {
    assert.ok(autoFreq(readDeliveries(SHORT)) < 0.1);
    const results = await checkCameraConformance(MemoryCamera, { fixture: SHORT, readBack: readRows });
    assert.deepEqual(failed(results), [], why(results));
  });

  it('says what to do when the freq given is too long for a short fixture', async () => {
    const results = await checkCameraConformance(MemoryCamera, { fixture: SHORT, readBack: readRows, settings: { freq: 1 } });
    const shutters = results.find((r) => r.name.startsWith('shutters'));
    assert.match(String((shutters?.error as Error)?.message), /only 1 snapshot\(s\) stored .*spans only 0\.\d+ s: set settings\.freq below/);
  });

  it('passes a correct async camera: reads the backend back only once the camera is idle', async () => {
    // The old kit failed this 6 times in 10 ("task … is SUCCESS in the backend but PROGRESS in
    // snapshot 5"): a shutter that finished during readBack made the backend look ahead.
    // freq 1 on the short fixture: recovery ticks fire a shutter each, so one is often in flight.
    for (let i = 0; i < 5; i++) {
      const results = await checkCameraConformance(SlowMemoryCamera, { fixture: SHORT, readBack: readRowsSlowly, settings: { freq: 1 }, largeSnapshot: 0 });
      const outage = results.find((r) => r.name.startsWith('backend failure'))!;
      assert.equal(outage.passed, true, why(results));
    }
    const results = await checkCameraConformance(SlowMemoryCamera, { fixture: SHORT, readBack: readRowsSlowly });
    assert.deepEqual(failed(results), [], why(results));
  });

  it('fails the slow-backend check for a camera whose onShutter always throws', async () => {
    class AlwaysThrows extends MemoryCamera {
      override onShutter(): void {
        throw new Error('backend says no');
      }
    }
    const results = await checkCameraConformance(AlwaysThrows, { readBack: readRows, timeoutMs: 300, largeSnapshot: 0 });
    assert.ok(failed(results).includes('slow backend'), why(results));
    assert.match(String((results.find((r) => r.name.startsWith('slow backend'))?.error as Error)?.message), /always throw/);
  });

  /** Writes the whole State each shutter and deletes what left it: a mirror (like latest.json). */
  class MirrorCamera extends MemoryCamera {
    override onShutter(snapshot: Snapshot): void {
      this.rows.clear();
      for (const [uuid, task] of Object.entries(snapshot.tasks)) this.rows.set(uuid, task.state);
    }
  }

  it('eviction: a mirror passes as `drop` and fails as `keep`; a changed-only store the other way round', async () => {
    const eviction = (results: ConformanceResult[]) => results.find((r) => r.name.startsWith('eviction'))!;
    const check = (camera: typeof MemoryCamera, rule?: 'keep' | 'drop') =>
      checkCameraConformance(camera, { readBack: readRows, eviction: rule, largeSnapshot: 0 });
    assert.equal(eviction(await check(MirrorCamera, 'drop')).passed, true, why(await check(MirrorCamera, 'drop')));
    assert.match(String((eviction(await check(MirrorCamera, 'keep')).error as Error).message), /evicted task .* is gone from the backend.*not deletion/);
    assert.equal(eviction(await check(MemoryCamera, 'keep')).passed, true);
    assert.match(String((eviction(await check(MemoryCamera, 'drop')).error as Error).message), /evicted task .* is still in the backend/);
    // Unset: either, per task.
    assert.equal(eviction(await check(MirrorCamera)).passed, true);
    assert.equal(eviction(await check(MemoryCamera)).passed, true);
  });

  it('eviction: catches a camera that leaves an evicted task in a state it never had', async () => {
    class Garbling extends MemoryCamera {
      override onShutter(snapshot: Snapshot): void {
        super.onShutter(snapshot);
        for (const uuid of this.rows.keys()) if (snapshot.tasks[uuid] === undefined) this.rows.set(uuid, 'LOST');
      }
    }
    const results = await checkCameraConformance(Garbling, { readBack: readRows, largeSnapshot: 0 });
    assert.deepEqual(failed(results), ['eviction'], why(results));
    assert.match(why(results), /is LOST in the backend but was \w+ when last stored/);
  });

  it('large snapshot: catches a camera that stores only part of a 10k-task snapshot', async () => {
    class Batched extends MemoryCamera {
      override onShutter(snapshot: Snapshot): void {
        for (const uuid of snapshot.changed.tasks.slice(0, 5000)) this.rows.set(uuid, snapshot.tasks[uuid].state);
      }
    }
    const results = await checkCameraConformance(Batched, { readBack: readRows });
    assert.deepEqual(failed(results), ['large snapshot'], why(results));
    assert.match(why(results), /does not hold snapshot 1 \(10000 tasks\)/);
  });

  it('setup and teardown run around each run: a fresh backend per camera, setup\'s options merged', async () => {
    const calls: string[] = [];
    const schemas = new Map<KitRun, string>();
    class Schemed extends MemoryCamera {
      static override readonly optionsSchema = {
        '~standard': { version: 1 as const, vendor: 'test', validate: (v: unknown) => ({ value: v }) },
      };
      override onInstall(): void {
        calls.push(`install ${(this.options as { schema: string }).schema}`);
      }
      override onClose(): void {
        calls.push(`close ${(this.options as { schema: string }).schema}`);
      }
    }
    const results = await checkCameraConformance(Schemed, {
      readBack: readRows, largeSnapshot: 100, options: { schema: 'default' },
      setup: ({ run, dir }) => {
        assert.ok(dir);
        calls.push(`setup ${run}`);
        schemas.set(run, `s_${run}`);
        return { schema: `s_${run}` };
      },
      teardown: ({ run, camera }) => { calls.push(`teardown ${run} ${camera instanceof Schemed}`); },
    });
    assert.deepEqual(failed(results), [], why(results));
    assert.deepEqual(calls, [
      'setup lifecycle', 'install s_lifecycle', 'close s_lifecycle', 'teardown lifecycle true',
      'setup eviction', 'install s_eviction', 'close s_eviction', 'teardown eviction true',
      'setup large', 'install s_large', 'close s_large', 'teardown large true',
    ]);
  });
});
