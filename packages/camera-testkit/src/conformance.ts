import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import {
  EvcamError, ErrorCodes, isCameraClass, silentLogger,
  type CameraClass, type CameraContext, type Logger, type OptionsSchema, type Polaroid, type PolaroidSettings,
} from '@evcam/camera-api';
import { ShutterEngine, SUPPORTED_API_VERSIONS } from 'evcam-kernel';
import { backendProblems, evictionProblems, incrementalProblems, orderProblems, type BackendView, type EvictionRule } from './checks.js';
import { DEFAULT_FIXTURE, type Delivery } from './fixture.js';
import { Harness } from './harness.js';
import { Recorder } from './recorder.js';

/** A camera class (what packages export) or a function building one. */
export type CameraUnderTest = CameraClass | ((ctx: CameraContext<any>) => Polaroid<any>);

/**
 * The kit runs the camera more than once, each run with a new camera on a new directory:
 * `lifecycle` (every phase on the fixture), `eviction` (the fixture through a State that
 * holds only a quarter of its tasks), `large` (one snapshot of `largeSnapshot` tasks).
 */
export type KitRun = 'lifecycle' | 'eviction' | 'large';

/** Handed to setup, before the run's camera exists. */
export interface SetupContext {
  /** A fresh directory for this run, also the camera's configDir: relative paths in options land here. */
  dir: string;
  run: KitRun;
}

/** Handed to the plugin's callbacks. */
export interface KitContext extends SetupContext {
  camera: Polaroid<any>;
}

export interface ConformanceOptions {
  /** The camera's options, before its optionsSchema (defaults are applied as the kernel does). */
  options?: Record<string, unknown>;
  /** Name for the camera and the test (default: its cameraName). */
  name?: string;
  /** A capture in any format `evcam-kernel replay` reads (default: the kit's rabbitmq-5.2.6.jsonl). */
  fixture?: string;
  /** Polaroid settings; the kit defaults to freq 1 s (shorter for a short fixture: see autoFreq), cleanupFreq 10 s, maxBackoff 1 s. */
  settings?: Partial<PolaroidSettings>;
  /** Read what the backend holds now. Without it the kit cannot tell a camera that stores from one that drops. */
  readBack?: (kit: KitContext) => BackendView | Promise<BackendView>;
  /** Make the backend fail (stop a server, remove a directory). Default: the kit fails onShutter itself. */
  breakBackend?: (kit: KitContext) => void | Promise<void>;
  /** Undo breakBackend. */
  repairBackend?: (kit: KitContext) => void | Promise<void>;
  /**
   * Before each run (see KitRun): give the run a fresh backend (create a schema, a bucket, an
   * index). What it returns is merged into `options` for that run (e.g. `{ schema: name }`).
   */
  setup?: (kit: SetupContext) => void | Record<string, unknown> | Promise<void | Record<string, unknown>>;
  /** After each run, once its camera is closed (also when a check failed): drop what setup made. */
  teardown?: (kit: SetupContext & { camera: Polaroid<any> | null }) => void | Promise<void>;
  /**
   * What the backend does with a task the State evicted (LRU, Celery's max_tasks_in_memory):
   * `keep` (a store of record: it stays as last stored), `drop` (a mirror of the State:
   * it must be gone, e.g. by deleting what `snapshot.removed.tasks` lists). Unset: either is
   * accepted, per task, but an evicted task the backend still holds must be in its last
   * stored state. See docs/writing-a-camera.md, "Eviction".
   */
  eviction?: EvictionRule;
  /** Tasks in the large-snapshot run (default 10000; 0 skips it). */
  largeSnapshot?: number;
  /** Real milliseconds the kit waits for the backend at each step (default 15000). */
  timeoutMs?: number;
  logger?: Logger;
  /** Keep the run directory (its path is logged) instead of removing it. */
  keepDir?: boolean;
}

/** Runs one named check; returns whether it passed. `skip` says why it cannot run. */
export type Step = (name: string, fn: () => Promise<void>, skip?: string) => Promise<boolean>;

class ConformanceFailure extends Error {
  override name = 'ConformanceFailure';
}

function expect(ok: unknown, message: string): asserts ok {
  if (!ok) throw new ConformanceFailure(message);
}

function cameraName(camera: CameraUnderTest, options: ConformanceOptions): string {
  return options.name ?? (camera as { cameraName?: string }).cameraName ?? (camera.name || 'camera');
}

async function validate(name: string, schema: OptionsSchema | undefined, options: unknown): Promise<unknown> {
  if (schema === undefined) return options;
  const result = await schema['~standard'].validate(options);
  if (result.issues) {
    throw new EvcamError(ErrorCodes.CAMERA_OPTIONS,
      `camera "${name}" refuses the options the test gave it: ${result.issues.map((i) => i.message).join('; ')}`);
  }
  return result.value;
}

/**
 * Shutter frequency for a fixture when the plugin gave none: 1 s (Celery's default) unless
 * the first phase (30 % of the deliveries) spans less than 2 s of receive time; then a
 * quarter of that span, so several shutters fall inside it.
 */
export function autoFreq(deliveries: readonly Delivery[]): number {
  const span = firstPhaseSpan(deliveries);
  if (span >= 2 || span <= 0) return 1;
  return Math.max(0.001, Math.floor((span / 4) * 1000) / 1000);
}

function firstPhaseSpan(deliveries: readonly Delivery[]): number {
  const end = Math.max(1, Math.floor(deliveries.length * 0.3));
  return deliveries[end - 1].at - deliveries[0].at;
}

/** `count` tasks that each succeeded once, on one worker: a large State in few events. */
function largeStream(count: number, start: number): Delivery[] {
  const out: Delivery[] = [{ at: start, event: { type: 'worker-online', hostname: 'kit@large', timestamp: start, freq: 2 } }];
  for (let i = 0; i < count; i++) {
    const at = start + 0.001 + i * 1e-6;
    const uuid = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    out.push({ at, event: { type: 'task-succeeded', uuid, hostname: 'kit@large', timestamp: at, result: '1', runtime: 0.001 } });
  }
  return out;
}

/**
 * The lifecycle the kit drives, as named checks in order. Each check runs one
 * phase of the recorded stream, then asserts what the contract promises.
 */
export async function conformance(camera: CameraUnderTest, options: ConformanceOptions, step: Step): Promise<void> {
  const name = cameraName(camera, options);
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const fixture = options.fixture ?? DEFAULT_FIXTURE;
  const harness = new Harness(fixture, logger);
  const freqGiven = options.settings?.freq !== undefined;
  const settings: PolaroidSettings = {
    freq: autoFreq(harness.deliveries), maxrate: null, cleanupFreq: 10, clearAfter: false, shutterTimeout: 30, maxBackoff: 1, finalShutterTimeout: 10,
    ...(isCameraClass(camera) && (camera as { clearAfter?: boolean }).clearAfter ? { clearAfter: true } : {}),
    ...options.settings,
  };
  if (!freqGiven && settings.freq !== 1) {
    logger.info({ freq: settings.freq, fixture }, 'conformance: short fixture, shutters every freq seconds so several fall in each phase');
  }
  const n = harness.deliveries.length;
  const at = (fraction: number): number => Math.max(1, Math.floor(n * fraction));
  const runDirs: string[] = [];

  /**
   * One run's camera: a fresh directory, setup's options, the camera built as the kernel would,
   * watched by a Recorder; `engine` is the kernel's shutter engine driving it, as the kernel would.
   */
  interface Run { cam: Polaroid<any> | null; engine: ShutterEngine | null; rec: Recorder | null; kit: KitContext; h: Harness; setupDone: boolean }
  const runs: Run[] = [];
  const open = async (run: KitRun, h: Harness): Promise<Run> => {
    const dir = mkdtempSync(join(tmpdir(), `evcam-kit-${name.replace(/[^a-z0-9-]/gi, '_')}-${run}-`));
    runDirs.push(dir);
    const r: Run = { cam: null, engine: null, rec: null, kit: { dir, run, camera: null as unknown as Polaroid<any> }, h, setupDone: false };
    runs.push(r);
    const extra = options.setup ? await options.setup({ dir, run }) : undefined;
    r.setupDone = true;
    const schema = (camera as { optionsSchema?: OptionsSchema }).optionsSchema;
    const ctx: CameraContext<any> = {
      name, options: await validate(name, schema, { ...options.options, ...(extra ?? {}) }), logger: logger.child({ camera: name, run }),
      host: h.host, configDir: dir,
    };
    r.cam = isCameraClass(camera) ? new camera(ctx) : camera(ctx);
    expect(r.cam && typeof r.cam.onShutter === 'function', `the factory returned ${typeof r.cam}, not a Polaroid`);
    r.engine = new ShutterEngine(r.cam, h.host, settings);
    r.rec = new Recorder(r.cam, h);
    r.kit.camera = r.cam;
    return r;
  };
  /** Stop a run: its camera cancelled (bounded), its recorder detached, teardown called once. */
  const close = async (r: Run): Promise<void> => {
    const i = runs.indexOf(r);
    if (i < 0) return;
    runs.splice(i, 1);
    r.rec?.dispose();
    if (r.engine && r.engine.health.status !== 'closed') await Promise.race([r.engine.cancel().catch(() => {}), sleep(1000)]);
    if (options.teardown && r.setupDone) await options.teardown({ dir: r.kit.dir, run: r.kit.run, camera: r.cam });
  };

  /** Poll (in real time, moving fake time with `nudge`) until `done`, or fail after timeoutMs. */
  const until = async (r: Run, done: () => boolean, what: string, nudge?: () => Promise<void>): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; !done(); i++) {
      if (Date.now() > deadline) throw new ConformanceFailure(`gave up after ${timeoutMs} ms waiting for ${what} (health: ${JSON.stringify(r.engine?.health)})`);
      if (nudge && i % 4 === 3) await nudge();
      await (i < 50 ? nextTurn() : sleep(2));
    }
  };
  /** Let the shutter in flight finish (unless the camera is failing: then retries wait on the clock). */
  const settleRun = async (r: Run): Promise<void> => {
    let idle = false;
    void r.engine!.idle().then(() => { idle = true; });
    await until(r, () => idle || r.engine!.health.consecutiveFailures > 0, 'onShutter to finish');
  };
  /**
   * The backend holds the last stored snapshot. Waits for the camera to be idle first (no
   * clock moves meanwhile, so no shutter starts): a later shutter half-written during the
   * read would make a correct camera look wrong.
   */
  const holds = async (r: Run): Promise<void> => {
    if (!options.readBack) return;
    await settleRun(r);
    const snapshot = r.rec!.lastStored;
    if (snapshot === undefined) return;
    const problem = backendProblems(await options.readBack(r.kit), snapshot);
    expect(problem === null, problem!);
  };
  const noViolations = (r: Run): void => {
    expect(r.rec!.violations.length === 0, r.rec!.violations.slice(0, 3).join('; '));
  };

  let main = null as Run | null;
  const settle = (): Promise<void> => settleRun(main!);
  try {
    const installed = await step('install: the options validate, onInstall resolves, health is ok', async () => {
      const version = (camera as { apiVersion?: unknown }).apiVersion;
      if (isCameraClass(camera)) {
        expect(SUPPORTED_API_VERSIONS.includes(camera.apiVersion),
          `the camera declares API version ${String(version)}; this kernel supports ${SUPPORTED_API_VERSIONS.join(', ')}`);
      }
      main = await open('lifecycle', harness);
      await main.engine!.install();
      expect(main.engine!.health.status === 'ok', `health.status is ${main.engine!.health.status} after install(), expected ok`);
    });
    const blocked = installed ? undefined : 'install failed';
    const m = (): Run => main!;

    await step('shutters: every freq, in seq order, each the State as it was at its shutter, stored by the backend', async () => {
      await harness.foldUntil(at(0.3), settle);
      await harness.tick(settings.freq);
      await settle();
      const stored = m().rec!.stored;
      if (stored.length < 2) {
        const span = firstPhaseSpan(harness.deliveries);
        const hint = span <= 0
          ? `; the first 30 % of the fixture's events share one receive time, so no shutter falls between them: use a fixture whose events span time`
          : freqGiven && settings.freq > span / 2
            ? `; the first 30 % of the fixture spans only ${span.toFixed(3)} s: set settings.freq below ${(span / 2).toFixed(3)} (or leave it unset: the kit picks one) or use a longer fixture`
            : '';
        expect(false, `only ${stored.length} snapshot(s) stored after ${harness.next} events over ${settings.freq}-second shutters${hint}`);
      }
      const order = orderProblems(stored);
      expect(order === null, order!);
      noViolations(m());
      await holds(m());
    }, blocked);

    await step('slow backend: a waiting snapshot is superseded, `changed` still covers every task touched, and the camera catches up', async () => {
      const { engine, rec } = m();
      const h = engine!.health;
      const before = { superseded: h.superseded, shutters: h.shutters, stored: h.stored };
      rec!.hold();
      await harness.foldUntil(at(0.55));
      await harness.tick(settings.freq * 3);
      rec!.release();
      await settle();
      if (settings.clearAfter) {
        expect(h.shutters - before.shutters === 1, 'with clearAfter, no second snapshot may be taken while the State is held for one in flight');
      } else {
        expect(h.superseded > before.superseded, `3 shutters came while onShutter was held, yet health.superseded stayed ${h.superseded}`);
      }
      // Superseding alone is not storing: once the backend is fast again a snapshot must land.
      await until(m(), () => h.stored > before.stored, 'a snapshot to be stored once onShutter was no longer held (does onShutter always throw?)',
        () => harness.tick(settings.maxBackoff));
      const incremental = incrementalProblems(rec!.stored);
      expect(incremental === null, incremental!);
      noViolations(m());
      await holds(m());
    }, blocked);

    await step('backend failure: health goes failing, then recovers, and nothing folded meanwhile is lost', async () => {
      const { engine, rec, kit } = m();
      const h = engine!.health;
      rec!.backendDown = true;
      if (options.breakBackend) await options.breakBackend(kit);
      else rec!.failShutters = true;
      await harness.foldUntil(at(0.75));
      await until(m(), () => h.consecutiveFailures > 0, 'onShutter to fail while the backend is broken', () => harness.tick(settings.freq));
      expect(h.status === 'failing' && h.lastError !== null, `health.status is ${h.status} while the backend is broken, expected failing`);
      const storedBefore = h.stored;
      if (options.repairBackend) await options.repairBackend(kit);
      rec!.failShutters = false;
      rec!.backendDown = false;
      await until(m(), () => h.status === 'ok' && h.stored > storedBefore, 'the camera to recover after the backend came back',
        () => harness.tick(settings.maxBackoff));
      const incremental = incrementalProblems(rec!.stored);
      expect(incremental === null, `after the outage: ${incremental}`);
      noViolations(m());
      await holds(m());
    }, blocked);

    await step('cleanup: runs every cleanupFreq, after cleanup_signal, without errors', async () => {
      const { rec } = m();
      const before = rec!.cleanups;
      await harness.tick(settings.cleanupFreq);
      await until(m(), () => rec!.cleanups > before, `onCleanup within cleanupFreq (${settings.cleanupFreq} s)`);
      await settle();
      expect(rec!.cleanupSignals >= rec!.cleanups, `onCleanup ran ${rec!.cleanups} times but cleanup_signal was sent ${rec!.cleanupSignals} times`);
      expect(rec!.cleanupErrors.length === 0, `onCleanup failed: ${String((rec!.cleanupErrors[0] as Error)?.message ?? rec!.cleanupErrors[0])}`);
    }, blocked);

    let finalState: ReturnType<typeof harness.state.snapshot>['snapshot'] | undefined;
    await step('cancel: a final shutter stores the final State, then onClose, and no timer is left', async () => {
      const { engine, rec } = m();
      const tail = Math.max(1, Math.floor(n * 0.03));
      await harness.foldUntil(n - tail, settle);
      await settle();
      const beforeCancel = rec!.lastStored;
      harness.foldSilently(n); // folded after the last timed shutter: only the final shutter can carry these
      finalState = harness.state.snapshot(0, 0, harness.clock.now()).snapshot;
      let cancelled = false;
      void engine!.cancel().then(() => { cancelled = true; });
      await until(m(), () => cancelled, 'cancel() to return', () => harness.tick(0.25));
      const last = rec!.lastStored;
      expect(last !== undefined && last !== beforeCancel, 'cancel() did not store a final snapshot');
      expect(last.event_count === finalState.event_count && last.task_count === finalState.task_count,
        `the final snapshot has ${last.event_count} events / ${last.task_count} tasks; the State had ${finalState.event_count} / ${finalState.task_count}`);
      expect(JSON.stringify(last.tasks) === JSON.stringify(finalState.tasks), 'the final snapshot\'s tasks differ from the final State');
      expect(rec!.closes === 1, `onClose ran ${rec!.closes} times, expected once`);
      expect(engine!.health.status === 'closed', `health.status is ${engine!.health.status} after cancel(), expected closed`);
      expect(harness.clock.scheduled === 0, `${harness.clock.scheduled} timer(s) still scheduled after cancel()`);
      const incremental = incrementalProblems(rec!.stored);
      expect(incremental === null, incremental!);
      noViolations(m());
    }, blocked);

    await step('backend: holds every task of the final State, as the final snapshot gave it', async () => {
      expect(finalState !== undefined, 'no final State (the cancel check failed)');
      expect(m().rec!.lastStored?.event_count === finalState.event_count, 'the final snapshot was not stored');
      await holds(m());
    }, blocked ?? (options.readBack ? undefined : 'give readBack() so the kit can check what your backend stored'));
    if (main) await close(main);

    const rule = options.eviction;
    await step(`eviction: tasks the State evicts (LRU) ${rule === 'keep' ? 'stay in the backend as last stored' : rule === 'drop' ? 'leave the backend' : 'are gone from the backend or as last stored'}`, async () => {
      const tasks = finalState ? Object.keys(finalState.tasks).length : 0;
      expect(tasks >= 8, `the fixture has ${tasks} tasks; the eviction check needs at least 8`);
      const h = new Harness(harness.deliveries, logger, { maxTasksInMemory: Math.floor(tasks / 4) });
      const r = await open('eviction', h);
      try {
        await r.engine!.install();
        await h.foldUntil(n, () => settleRun(r));
        await settleRun(r);
        let cancelled = false;
        void r.engine!.cancel().then(() => { cancelled = true; });
        await until(r, () => cancelled, 'cancel() to return', () => h.tick(0.25));
        noViolations(r);
        const problem = evictionProblems(await options.readBack!(r.kit), r.rec!.stored, rule);
        expect(problem === null, problem!);
      } finally {
        await close(r);
      }
    }, blocked ?? (options.readBack ? undefined : 'give readBack() so the kit can check what your backend stored'));

    const large = options.largeSnapshot ?? 10_000;
    await step(`large snapshot: one shutter of ${large} tasks is stored whole`, async () => {
      const h = new Harness(largeStream(large, harness.deliveries[0].at), logger);
      const r = await open('large', h);
      try {
        await r.engine!.install();
        h.foldSilently(h.deliveries.length);
        await h.tick(settings.freq);
        await until(r, () => r.rec!.stored.length > 0 || r.engine!.health.consecutiveFailures > 0, `the ${large}-task snapshot to be stored`);
        expect(r.rec!.stored.length > 0, `onShutter failed on the ${large}-task snapshot: ${r.engine!.health.lastError}`);
        expect(r.rec!.lastStored!.changed.tasks.length === large, `the snapshot listed ${r.rec!.lastStored!.changed.tasks.length} changed tasks, expected ${large}`);
        noViolations(r);
        await holds(r);
      } finally {
        await close(r);
      }
    }, blocked ?? (large > 0 ? undefined : 'largeSnapshot: 0'));
  } finally {
    for (const r of [...runs]) await close(r);
    if (!options.keepDir) for (const dir of runDirs) rmSync(dir, { recursive: true, force: true });
    else logger.info({ dirs: runDirs }, 'conformance run directories kept');
  }
}
