import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Polaroid, silentLogger, type CameraHost, type PolaroidSettings, type ShutterContext, type Snapshot } from '@evcam/camera-api';
import { Ingestor } from '../ingest/ingestor.js';
import { FakeClock } from '../runtime/clock.js';
import { CeleryState } from '../state/state.js';
import { ShutterEngine } from './shutter-engine.js';

/** A camera that records what it was given and can be told to block or fail. */
class RecordingCamera extends Polaroid {
  stored: Snapshot[] = [];
  cleanups = 0;
  closed = false;
  failNext = 0;
  gate: Promise<void> | null = null;
  aborted = 0;
  finals: boolean[] = [];
  override async onShutter(snapshot: Snapshot, ctx: ShutterContext): Promise<void> {
    this.finals.push(ctx.final === true);
    ctx.signal.addEventListener('abort', () => { this.aborted++; });
    if (this.gate) await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('backend down');
    }
    this.stored.push(JSON.parse(JSON.stringify(snapshot)) as Snapshot); // a snapshot is only valid until it is released
  }
  override onCleanup(): void { this.cleanups++; }
  override onClose(): void { this.closed = true; }
}

function rig(settings: Partial<PolaroidSettings> = {}) {
  const clock = new FakeClock(1000);
  const state = new CeleryState();
  const ingestor = new Ingestor(state, silentLogger, { localUtcoffset: () => 0 });
  const host: CameraHost = {
    timer: clock, clock,
    takeSnapshot: (since, seq) => state.snapshot(since, seq, clock.now()),
    hold: () => ingestor.hold(),
  };
  const camera = new RecordingCamera({ name: 'rec', options: {}, logger: silentLogger, host });
  const engine = new ShutterEngine(camera, host, settings);
  let n = 0;
  /** Fold one task-received event for a fresh uuid (or the given one with a given type). */
  const event = (type = 'task-received', uuid = `t${++n}`) => ingestor.receiveEvent(
    { type, uuid, hostname: 'w1@lab', timestamp: clock.now(), clock: n, utcoffset: 0, name: 'tasks.add' }, clock.now());
  return { clock, state, ingestor, camera, engine, event, host };
}

/** Resolves a gate from outside. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => { open = r; });
  return { promise, open };
}

describe('the shutter engine on a fake clock', () => {
  test('shutters every freq, the first one period after install (no immediate shot)', async () => {
    const { clock, camera, engine, event } = rig({ freq: 2 });
    await engine.install();
    event();
    await clock.advance(1.9);
    assert.equal(camera.stored.length, 0);
    await clock.advance(0.1);
    assert.equal(camera.stored.length, 1);
    await clock.advance(6);
    assert.deepEqual(camera.stored.map((s) => s.seq), [1, 2, 3, 4]);
    assert.equal(camera.stored[0].taken_at, 1002);
    assert.equal(camera.stored[0].event_count, 1);
  });

  test('only the shutter taken at stop is marked final', async () => {
    const { clock, camera, engine, event } = rig({ freq: 1 });
    await engine.install();
    event();
    await clock.advance(3);
    event();
    await engine.cancel();
    assert.deepEqual(camera.stored.map((s) => s.seq), [1, 2, 3, 4]);
    assert.deepEqual(camera.finals, [false, false, false, true]);
  });

  test("maxrate '1/m' lets one shutter a minute through, like kombu's token bucket", async () => {
    const { clock, camera, engine } = rig({ freq: 1, maxrate: '1/m' });
    await engine.install();
    await clock.advance(120);
    // t=1 (bucket starts full), then the bucket refills from its creation: t=60, t=120
    assert.deepEqual(camera.stored.map((s) => s.taken_at), [1001, 1060, 1120]);
    assert.equal(engine.health.rateLimited, 117);
  });

  test('cleanup runs every cleanupFreq', async () => {
    const { clock, camera, engine } = rig({ freq: 10, cleanupFreq: 30 });
    await engine.install();
    await clock.advance(95);
    assert.equal(camera.cleanups, 3);
  });

  test("cancel() takes a final shutter even right after one (unlike Celery's flush), then closes", async () => {
    const { clock, camera, engine, event } = rig({ freq: 1 });
    await engine.install();
    await clock.advance(1);
    event();
    await engine.cancel();
    assert.equal(camera.stored.length, 2);
    assert.equal(camera.stored[1].event_count, 1);
    assert.equal(camera.closed, true);
    assert.equal(clock.scheduled, 0, 'timers cancelled');
  });

  test('a slow onShutter: at most one in flight, newer snapshots supersede the waiting one, changes are not lost', async () => {
    const { clock, camera, engine, event } = rig({ freq: 1, shutterTimeout: 0 });
    const g = gate();
    camera.gate = g.promise;
    await engine.install();
    event('task-received', 'a');
    await clock.advance(1); // seq 1 in flight, blocked
    event('task-received', 'b');
    await clock.advance(1); // seq 2 waits
    event('task-received', 'c');
    await clock.advance(1); // seq 3 supersedes 2
    event('task-received', 'd');
    await clock.advance(1); // seq 4 supersedes 3
    assert.equal(camera.stored.length, 0);
    assert.equal(engine.health.superseded, 2);
    camera.gate = null;
    g.open();
    await engine.idle();
    assert.deepEqual(camera.stored.map((s) => s.seq), [1, 4]);
    assert.deepEqual(camera.stored[0].changed.tasks, ['a']);
    // seq 4 was cut before seq 1 was stored, so its `changed` spans everything since the
    // last stored cut: what the superseded seq 2 and 3 would have carried, and more
    assert.deepEqual(camera.stored[1].changed.tasks.sort(), ['a', 'b', 'c', 'd']);
  });

  test('a failing backend is retried with backoff; the snapshot is stored once it recovers', async () => {
    const { clock, camera, engine, event } = rig({ freq: 60, maxBackoff: 4 });
    camera.failNext = 3;
    await engine.install();
    event();
    await clock.advance(60);
    assert.equal(engine.health.status, 'failing');
    assert.equal(engine.health.consecutiveFailures, 1);
    await clock.advance(10); // backoffs: ≤0.5, ≤1, ≤2 s
    assert.equal(camera.stored.length, 1);
    assert.equal(engine.health.failures, 3);
    assert.equal(engine.health.status, 'ok');
    assert.deepEqual(camera.stored[0].changed.tasks, ['t1']);
  });

  test('a hung onShutter times out, its abort signal fires, and ingestion is never blocked', async () => {
    const { clock, camera, engine, event, state } = rig({ freq: 1, shutterTimeout: 5 });
    camera.gate = new Promise(() => {}); // never resolves
    await engine.install();
    await clock.advance(1);
    for (let i = 0; i < 100; i++) event();
    assert.equal(state.eventCount, 100, 'events fold while the camera hangs');
    await clock.advance(5);
    assert.equal(engine.health.timeouts, 1);
    assert.equal(camera.aborted, 1);
  });

  test('clear_after: events arriving during the shutter are held (not lost), State cleared only after a stored shutter', async () => {
    const { clock, camera, engine, event, state } = rig({ freq: 1, clearAfter: true, shutterTimeout: 0 });
    const g = gate();
    camera.gate = g.promise;
    await engine.install();
    event('task-received', 'x');
    event('task-succeeded', 'x');
    event('task-received', 'y'); // in progress: survives clear()
    await clock.advance(1);
    event('task-received', 'z'); // arrives while the shutter is in flight
    assert.equal(state.eventCount, 3, 'held, not applied to the snapshot being stored');
    camera.gate = null;
    g.open();
    await engine.idle();
    assert.equal(camera.stored[0].event_count, 3);
    assert.deepEqual(Object.keys(camera.stored[0].tasks).sort(), ['x', 'y']);
    assert.deepEqual([...state.tasks.keys()].sort(), ['y', 'z'], 'ready task cleared, held event applied after the clear');
    assert.equal(state.eventCount, 1);
  });

  test('clear_after never clears for a failed shutter (Celery would drop those events)', async () => {
    const { clock, camera, engine, event, state } = rig({ freq: 1, clearAfter: true });
    camera.failNext = 1;
    await engine.install();
    event('task-received', 'x');
    event('task-succeeded', 'x');
    await clock.advance(1);
    assert.equal(camera.stored.length, 0);
    assert.equal(state.eventCount, 2, 'not cleared');
    await clock.advance(1);
    assert.equal(camera.stored.length, 1);
    assert.ok(camera.stored[0].tasks.x, 'the next shutter still has the events of the failed one');
    assert.equal(state.eventCount, 0);
  });
});
