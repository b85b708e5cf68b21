// The lifecycle contract a camera can rely on (docs/writing-a-camera.md, "Lifecycle"):
// each rule there names the test here that holds it.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, test } from 'node:test';
import {
  EvcamError, ErrorCodes, Polaroid, silentLogger, type CameraContext, type CameraHost, type ShutterContext, type Snapshot, type TakenSnapshot,
} from '@evcam/camera-api';
import { configSchema, type EvcamConfig } from '../config/schema.js';
import { healthDocument } from '../http.js';
import { Ingestor } from '../ingest/ingestor.js';
import { buildContainer, type Kernel } from '../kernel.js';
import { FakeClock } from '../runtime/clock.js';
import { CeleryState } from '../state/state.js';
import { TOKENS } from '../tokens.js';
import type { ShutterGate } from './gate.js';
import { ShutterEngine } from './shutter-engine.js';

/** Every call, in order, across all instances, and how many onShutter calls run at once. */
const journal: string[] = [];
let running = 0;
let maxRunning = 0;

/** onShutter never settles and ignores its AbortSignal, until `HungCamera.settle()`. */
class HungCamera extends Polaroid {
  static override readonly cameraName = 'hung';
  static settle: () => void = () => {};
  calls = 0;
  override async onShutter(_s: Snapshot, ctx: ShutterContext): Promise<void> {
    this.calls++;
    running++;
    maxRunning = Math.max(maxRunning, running);
    try {
      if (this.calls === 1) await new Promise<void>((resolve) => { HungCamera.settle = resolve; });
      assert.equal(ctx.signal.aborted, false, 'a new call gets a fresh signal');
    } finally {
      running--;
    }
  }
}

class OkCamera extends Polaroid {
  static override readonly cameraName = 'ok';
  stored: Snapshot[] = [];
  override onShutter(snapshot: Snapshot): void { this.stored.push(snapshot); }
}

/** onInstall fails `failures` times (retryable unless fatal), counting instances and closes. */
let instances = 0;
class FlakyStartCamera extends Polaroid<{ failures: number; fatal?: boolean }> {
  static override readonly cameraName = 'flaky';
  readonly instance = ++instances;
  installs = 0;
  closes = 0;
  override onInstall(): void {
    journal.push(`install ${this.instance}`);
    if (++this.installs <= this.options.failures) {
      throw new EvcamError(ErrorCodes.CAMERA_START, 'backend down', { retryable: !this.options.fatal });
    }
  }
  override onShutter(): void {}
  override onClose(): void { this.closes++; journal.push(`close ${this.instance}`); }
}

async function kernelWith(config: EvcamConfig): Promise<{ kernel: Kernel; clock: FakeClock }> {
  const clock = new FakeClock(1000);
  const container = await buildContainer({ config: configSchema.parse(config), configDir: tmpdir(), logger: silentLogger, clock, timer: clock });
  return { kernel: await container.getAsync<Kernel>(TOKENS.Kernel), clock };
}

const camerasOf = (kernel: Kernel) => kernel.cameras.map((e) => e.camera);

describe('lifecycle: at most one onShutter per camera, an abandoned one included', () => {
  test('two cameras, one hung: it is reported hung on /healthz and gets no new shutter until its call settles; the other camera and ingestion carry on', async () => {
    running = maxRunning = 0;
    const { kernel, clock } = await kernelWith({ freq: 1, maxBackoff: 1, cameras: [{ use: HungCamera, shutterTimeout: 2 }, { use: OkCamera }] });
    await kernel.start({ receive: false });
    const [hung, ok] = camerasOf(kernel) as [HungCamera, OkCamera];
    await clock.advance(1); // both shutter; the hung one blocks
    await clock.advance(2); // shutterTimeout: aborted, abandoned
    for (let i = 0; i < 20; i++) {
      kernel.ingestor.receiveEvent({ type: 'task-received', uuid: `t${i}`, hostname: 'w@h', timestamp: clock.now(), clock: i }, clock.now());
      await clock.advance(1);
    }
    const health = healthDocument(kernel);
    const byName = Object.fromEntries((health.cameras as { name: string; status: string; timeouts: number }[]).map((c) => [c.name, c]));
    assert.equal(byName.hung.status, 'hung');
    assert.equal(byName.hung.timeouts, 1);
    assert.equal(hung.calls, 1, 'no second onShutter while the first one hangs');
    assert.equal(maxRunning, 1);
    assert.equal(health.status, 'degraded');
    assert.equal(byName.ok.status, 'ok');
    assert.ok(ok.stored.length >= 20, 'the other camera kept storing');
    assert.equal(kernel.state.eventCount, 20, 'ingestion carried on');

    HungCamera.settle();
    await clock.advance(2);
    assert.ok(hung.calls >= 2, 'shutters resume once the abandoned call settled');
    assert.equal(kernel.cameras[0].health.status, 'ok');
    assert.equal(maxRunning, 1);
    const stored = kernel.cameras[0].health.lastStoredSeq;
    assert.ok(stored !== null);
    await kernel.stop();
  });
});

describe('lifecycle: onInstall and onClose', () => {
  test('onClose runs exactly once, also after a failed onInstall (the kernel refuses to start)', async () => {
    journal.length = 0;
    instances = 0;
    const { kernel } = await kernelWith({ cameras: [{ use: OkCamera }, { use: FlakyStartCamera, options: { failures: 1, fatal: true } }] });
    await assert.rejects(kernel.start({ receive: false }), (err: unknown) => EvcamError.is(err) && /flaky/.test(err.message));
    await kernel.stop();
    const flaky = camerasOf(kernel)[1] as FlakyStartCamera;
    assert.equal(flaky.closes, 1);
    assert.deepEqual(journal, ['install 1', 'close 1']);
    assert.equal(kernel.cameras[1].health.status, 'closed');
    assert.equal(kernel.cameras[0].health.status, 'closed', 'the camera that did start was closed too');
  });

  test('a retried onInstall runs again on the same instance; onClose once at stop', async () => {
    journal.length = 0;
    instances = 0;
    const { kernel, clock } = await kernelWith({ cameraStartPolicy: 'retry', maxBackoff: 4, cameras: [{ use: FlakyStartCamera, options: { failures: 2 } }] });
    await kernel.start({ receive: false });
    await clock.advance(30);
    assert.deepEqual(journal, ['install 1', 'install 1', 'install 1']);
    assert.equal(kernel.cameras[0].health.status, 'ok');
    await kernel.stop();
    await kernel.stop();
    assert.deepEqual(journal, ['install 1', 'install 1', 'install 1', 'close 1']);
  });

  test('cancel() twice, or while onInstall is still running: onClose once, after onInstall settled', async () => {
    const clock = new FakeClock();
    const state = new CeleryState();
    const host: CameraHost = { timer: clock, clock, takeSnapshot: (since, seq) => state.snapshot(since, seq, clock.now()), hold: () => () => {} };
    let finishInstall!: () => void;
    const order: string[] = [];
    class SlowStart extends Polaroid {
      override async onInstall(): Promise<void> { await new Promise<void>((r) => { finishInstall = r; }); order.push('installed'); }
      override onShutter(): void { order.push('shutter'); }
      override onClose(): void { order.push('close'); }
    }
    const engine = new ShutterEngine(new SlowStart({ name: 'slow', options: {}, logger: silentLogger, host }), host);
    const installing = engine.install();
    await new Promise((r) => setImmediate(r));
    const a = engine.cancel();
    const b = engine.cancel();
    finishInstall();
    await Promise.all([installing, a, b]);
    assert.deepEqual(order, ['installed', 'close']);
    assert.equal(clock.scheduled, 0, 'no timer left: stopped before it ever ran');
  });
});

/** A host whose snapshots count their release() calls; `users` tracks who still reads a snapshot. */
function releasingHost(clock: FakeClock) {
  const state = new CeleryState();
  const ingestor = new Ingestor(state, silentLogger, { localUtcoffset: () => 0 });
  const released = new Map<number, number>();
  const host: CameraHost = {
    timer: clock, clock, hold: () => ingestor.hold(),
    takeSnapshot: (since, seq): TakenSnapshot => {
      const taken = state.snapshot(since, seq, clock.now());
      return { ...taken, release: () => { released.set(seq, (released.get(seq) ?? 0) + 1); } };
    },
  };
  let n = 0;
  const event = () => ingestor.receiveEvent({ type: 'task-received', uuid: `t${++n}`, hostname: 'w@h', timestamp: clock.now(), clock: n }, clock.now());
  return { host, released, event, state, ingestor };
}

describe('snapshot release', () => {
  test('each taken snapshot is released exactly once: stored, superseded, failed and replaced, or abandoned and settled', async () => {
    const clock = new FakeClock();
    const { host, released } = releasingHost(clock);
    let mode: 'store' | 'block' | 'fail' | 'hang' = 'store';
    let unblock: () => void = () => {};
    const inUse = new Set<number>();
    class Cam extends Polaroid {
      override async onShutter(s: Snapshot): Promise<void> {
        inUse.add(s.seq);
        try {
          if (mode === 'block' || mode === 'hang') await new Promise<void>((r) => { unblock = r; });
          if (mode === 'fail') throw new Error('down');
        } finally {
          assert.equal(released.get(s.seq), undefined, `snapshot ${s.seq} released while onShutter still read it`);
          inUse.delete(s.seq);
        }
      }
    }
    const engine = new ShutterEngine(new Cam({ name: 'c', options: {}, logger: silentLogger, host }), host, { freq: 1, shutterTimeout: 5, maxBackoff: 1 });
    await engine.install();
    await clock.advance(1); // 1 stored
    mode = 'block';
    await clock.advance(3); // 2 in flight, 3 superseded by 4
    mode = 'fail';
    unblock(); // the blocked call resumes in fail mode: it fails
    await clock.advance(3); // retries fail, newer ones replace older ones
    mode = 'hang';
    await clock.advance(8); // one hangs past shutterTimeout: abandoned
    const abandonedSeq = [...inUse][0];
    assert.ok(abandonedSeq !== undefined);
    assert.equal(released.get(abandonedSeq), undefined, 'not released while the abandoned call still runs');
    mode = 'store';
    unblock();
    await clock.advance(3);
    await engine.cancel();
    const taken = engine.health.shutters;
    assert.ok(taken >= 10);
    for (let seq = 1; seq <= taken; seq++) assert.equal(released.get(seq), 1, `snapshot ${seq} released once`);
    assert.ok(engine.health.superseded > 0 && engine.health.failures > 0 && engine.health.timeouts === 1);
  });
});

describe('the shutter gate (high availability)', () => {
  test('closed: nothing is taken or stored; the first stored shutter after it opens covers all since the last stored one, stamped with the epoch', async () => {
    const clock = new FakeClock();
    const { host, released, event } = releasingHost(clock);
    const gate: { open: boolean; epoch: number | undefined; isOpen(): boolean } = { open: true, epoch: 7, isOpen() { return this.open; } };
    const stored: Snapshot[] = [];
    class Cam extends Polaroid { override onShutter(s: Snapshot): void { stored.push(s); } }
    const engine = new ShutterEngine(new Cam({ name: 'c', options: {}, logger: silentLogger, host }), host, { freq: 1 }, { gate });
    await engine.install();
    event();
    await clock.advance(1);
    assert.deepEqual(stored.map((s) => [s.seq, s.epoch, s.changed.tasks]), [[1, 7, ['t1']]]);
    gate.open = false;
    event();
    event();
    await clock.advance(3);
    assert.equal(engine.health.shutters, 1, 'no snapshot taken while the gate is closed');
    gate.open = true;
    gate.epoch = 8;
    event();
    await clock.advance(1);
    assert.deepEqual(stored.map((s) => [s.seq, s.epoch]), [[1, 7], [2, 8]]);
    assert.deepEqual(stored[1].changed.tasks.sort(), ['t2', 't3', 't4']);
    await engine.cancel();
    assert.deepEqual([...released.values()], [1, 1, 1]);
  });

  test('a gate that closes between the snapshot and onShutter: skipped and released; the next one after opening carries its changes', async () => {
    const clock = new FakeClock();
    const { host, released, event } = releasingHost(clock);
    let calls = 0;
    const gate: ShutterGate = { isOpen: () => { calls++; return calls % 2 === 1; }, epoch: undefined }; // open at the snapshot, closed at the attempt
    const stored: Snapshot[] = [];
    class Cam extends Polaroid { override onShutter(s: Snapshot): void { stored.push(s); } }
    const engine = new ShutterEngine(new Cam({ name: 'c', options: {}, logger: silentLogger, host }), host, { freq: 1 }, { gate });
    await engine.install();
    event();
    await clock.advance(2);
    assert.equal(stored.length, 0);
    assert.equal(engine.health.shutters, 2);
    assert.deepEqual([...released.entries()], [[1, 1], [2, 1]]);
    assert.equal(stored.at(0)?.epoch, undefined);
  });
});

describe('onEvent', () => {
  test('called after each fold, in stream order, for the cameras that define it; a throw is counted and ingestion carries on', async () => {
    const clock = new FakeClock();
    const state = new CeleryState();
    const ingestor = new Ingestor(state, silentLogger, { localUtcoffset: () => 0 });
    const host: CameraHost = { timer: clock, clock, takeSnapshot: (since, seq) => state.snapshot(since, seq, clock.now()), hold: () => ingestor.hold() };
    const seen: string[] = [];
    class Counting extends Polaroid {
      override onShutter(): void {}
      override onEvent(event: { type: string; uuid?: string }): void {
        seen.push(`${this.name} ${event.type} ${event.uuid} folded:${state.eventCount}`);
        if (this.name === 'bad' && event.uuid === 'b') throw new Error('onEvent bug');
      }
    }
    class Plain extends Polaroid { override onShutter(): void {} }
    const make = (C: typeof Counting | typeof Plain, name: string) => new ShutterEngine(new C({ name, options: {}, logger: silentLogger, host } as CameraContext), host);
    const engines = [make(Counting, 'bad'), make(Plain, 'plain'), make(Counting, 'good')];
    ingestor.setCameras(engines);
    for (const uuid of ['a', 'b', 'c']) ingestor.receiveEvent({ type: 'task-received', uuid, hostname: 'w@h', timestamp: 1, clock: 1 }, 1);
    assert.deepEqual(seen, [
      'bad task-received a folded:1', 'good task-received a folded:1',
      'bad task-received b folded:2', 'good task-received b folded:2',
      'bad task-received c folded:3', 'good task-received c folded:3',
    ]);
    assert.equal(engines[0].health.eventErrors, 1);
    assert.equal(engines[2].health.eventErrors, 0);
    assert.equal(state.eventCount, 3);
    ingestor.setCameras([engines[1]]);
    ingestor.receiveEvent({ type: 'task-received', uuid: 'd', hostname: 'w@h', timestamp: 1, clock: 1 }, 1);
    assert.equal(seen.length, 6, 'no camera with onEvent: none called');
  });

  test('held events (clear_after) reach onEvent when they are folded, after the release', async () => {
    const clock = new FakeClock();
    const state = new CeleryState();
    const ingestor = new Ingestor(state, silentLogger, { localUtcoffset: () => 0 });
    const seen: string[] = [];
    const host: CameraHost = { timer: clock, clock, takeSnapshot: (since, seq) => state.snapshot(since, seq, clock.now()), hold: () => ingestor.hold() };
    class Cam extends Polaroid { override onShutter(): void {} override onEvent(e: { uuid?: string }): void { seen.push(e.uuid!); } }
    ingestor.setCameras([new ShutterEngine(new Cam({ name: 'c', options: {}, logger: silentLogger, host }), host)]);
    const release = ingestor.hold();
    ingestor.receiveEvent({ type: 'task-received', uuid: 'x', hostname: 'w@h', timestamp: 1, clock: 1 }, 1);
    assert.deepEqual(seen, []);
    release(false);
    assert.deepEqual(seen, ['x']);
  });
});
