import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import {
  EvcamError, ErrorCodes, isCameraClass, silentLogger,
  type CameraClass, type CameraContext, type Logger, type OptionsSchema, type Polaroid, type PolaroidSettings,
} from '@evcam/camera-api';
import { ShutterEngine, SUPPORTED_API_VERSIONS } from 'evcam-kernel';
import { backendProblems, incrementalProblems, orderProblems, type BackendView } from './checks.js';
import { DEFAULT_FIXTURE } from './fixture.js';
import { Harness } from './harness.js';
import { Recorder } from './recorder.js';

/** A camera class (what packages export) or a function building one. */
export type CameraUnderTest = CameraClass | ((ctx: CameraContext<any>) => Polaroid<any>);

/** Handed to the plugin's callbacks. */
export interface KitContext {
  camera: Polaroid<any>;
  /** A fresh directory for this run, also the camera's configDir: relative paths in options land here. */
  dir: string;
}

export interface ConformanceOptions {
  /** The camera's options, before its optionsSchema (defaults are applied as the kernel does). */
  options?: Record<string, unknown>;
  /** Name for the camera and the test (default: its cameraName). */
  name?: string;
  /** A capture in any format `evcam-kernel replay` reads (default: the kit's rabbitmq-5.2.6.jsonl). */
  fixture?: string;
  /** Polaroid settings; the kit defaults to freq 1 s, cleanupFreq 10 s, maxBackoff 1 s. */
  settings?: Partial<PolaroidSettings>;
  /** Read what the backend holds now. Without it the kit cannot tell a camera that stores from one that drops. */
  readBack?: (kit: KitContext) => BackendView | Promise<BackendView>;
  /** Make the backend fail (stop a server, remove a directory). Default: the kit fails onShutter itself. */
  breakBackend?: (kit: KitContext) => void | Promise<void>;
  /** Undo breakBackend. */
  repairBackend?: (kit: KitContext) => void | Promise<void>;
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
 * The lifecycle the kit drives, as named checks in order. Each check runs one
 * phase of the recorded stream, then asserts what the contract promises.
 */
export async function conformance(camera: CameraUnderTest, options: ConformanceOptions, step: Step): Promise<void> {
  const name = cameraName(camera, options);
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const settings: PolaroidSettings = {
    freq: 1, maxrate: null, cleanupFreq: 10, clearAfter: false, shutterTimeout: 30, maxBackoff: 1, finalShutterTimeout: 10,
    ...(isCameraClass(camera) && (camera as { clearAfter?: boolean }).clearAfter ? { clearAfter: true } : {}),
    ...options.settings,
  };
  const harness = new Harness(options.fixture ?? DEFAULT_FIXTURE, logger);
  const n = harness.deliveries.length;
  const at = (fraction: number): number => Math.max(1, Math.floor(n * fraction));
  const dir = mkdtempSync(join(tmpdir(), `evcam-kit-${name.replace(/[^a-z0-9-]/gi, '_')}-`));
  // Assigned inside the install check's closure (hence the casts: TS does not follow closures).
  let cam = null as Polaroid<any> | null;
  /** The kernel's shutter engine driving `cam`, as the kernel would. */
  let engine = null as ShutterEngine | null;
  let rec = null as Recorder | null;
  let kit!: KitContext;

  /** Poll (in real time, moving fake time with `nudge`) until `done`, or fail after timeoutMs. */
  const until = async (done: () => boolean, what: string, nudge?: () => Promise<void>): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; !done(); i++) {
      if (Date.now() > deadline) throw new ConformanceFailure(`gave up after ${timeoutMs} ms waiting for ${what} (health: ${JSON.stringify(engine?.health)})`);
      if (nudge && i % 4 === 3) await nudge();
      await (i < 50 ? nextTurn() : sleep(2));
    }
  };
  /** Let the shutter in flight finish (unless the camera is failing: then retries wait on the clock). */
  const settle = async (): Promise<void> => {
    let idle = false;
    void engine!.idle().then(() => { idle = true; });
    await until(() => idle || engine!.health.consecutiveFailures > 0, 'onShutter to finish');
  };
  const backendHolds = async (snapshot = rec!.lastStored): Promise<void> => {
    if (!options.readBack || snapshot === undefined) return;
    const problem = backendProblems(await options.readBack(kit), snapshot);
    expect(problem === null, problem!);
  };
  const noViolations = (): void => {
    expect(rec!.violations.length === 0, rec!.violations.slice(0, 3).join('; '));
  };

  try {
    const installed = await step('install: the options validate, onInstall resolves, health is ok', async () => {
      const version = (camera as { apiVersion?: unknown }).apiVersion;
      if (isCameraClass(camera)) {
        expect(SUPPORTED_API_VERSIONS.includes(camera.apiVersion),
          `the camera declares API version ${String(version)}; this kernel supports ${SUPPORTED_API_VERSIONS.join(', ')}`);
      }
      const schema = (camera as { optionsSchema?: OptionsSchema }).optionsSchema;
      const ctx: CameraContext<any> = {
        name, options: await validate(name, schema, options.options ?? {}), logger: logger.child({ camera: name }),
        host: harness.host, configDir: dir,
      };
      cam = isCameraClass(camera) ? new camera(ctx) : camera(ctx);
      expect(cam && typeof cam.onShutter === 'function', `the factory returned ${typeof cam}, not a Polaroid`);
      engine = new ShutterEngine(cam, harness.host, settings);
      rec = new Recorder(cam, harness);
      kit = { camera: cam, dir };
      await engine.install();
      expect(engine.health.status === 'ok', `health.status is ${engine.health.status} after install(), expected ok`);
    });
    const blocked = installed ? undefined : 'install failed';

    await step('shutters: every freq, in seq order, each the State as it was at its shutter, stored by the backend', async () => {
      await harness.foldUntil(at(0.3), settle);
      await harness.tick(settings.freq);
      await settle();
      const stored = rec!.stored;
      expect(stored.length >= 2, `only ${stored.length} snapshot(s) stored after ${harness.next} events over ${settings.freq}-second shutters`);
      const order = orderProblems(stored);
      expect(order === null, order!);
      noViolations();
      await backendHolds();
    }, blocked);

    await step('slow backend: a waiting snapshot is superseded, and `changed` still covers every task touched', async () => {
      const h = engine!.health;
      const before = { superseded: h.superseded, shutters: h.shutters };
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
      const incremental = incrementalProblems(rec!.stored);
      expect(incremental === null, incremental!);
      noViolations();
      await backendHolds();
    }, blocked);

    await step('backend failure: health goes failing, then recovers, and nothing folded meanwhile is lost', async () => {
      const h = engine!.health;
      rec!.backendDown = true;
      if (options.breakBackend) await options.breakBackend(kit);
      else rec!.failShutters = true;
      await harness.foldUntil(at(0.75));
      await until(() => h.consecutiveFailures > 0, 'onShutter to fail while the backend is broken', () => harness.tick(settings.freq));
      expect(h.status === 'failing' && h.lastError !== null, `health.status is ${h.status} while the backend is broken, expected failing`);
      const storedBefore = h.stored;
      if (options.repairBackend) await options.repairBackend(kit);
      rec!.failShutters = false;
      rec!.backendDown = false;
      await until(() => h.status === 'ok' && h.stored > storedBefore, 'the camera to recover after the backend came back',
        () => harness.tick(settings.maxBackoff));
      const incremental = incrementalProblems(rec!.stored);
      expect(incremental === null, `after the outage: ${incremental}`);
      noViolations();
      await backendHolds();
    }, blocked);

    await step('cleanup: runs every cleanupFreq, after cleanup_signal, without errors', async () => {
      const before = rec!.cleanups;
      await harness.tick(settings.cleanupFreq);
      await until(() => rec!.cleanups > before, `onCleanup within cleanupFreq (${settings.cleanupFreq} s)`);
      await settle();
      expect(rec!.cleanupSignals >= rec!.cleanups, `onCleanup ran ${rec!.cleanups} times but cleanup_signal was sent ${rec!.cleanupSignals} times`);
      expect(rec!.cleanupErrors.length === 0, `onCleanup failed: ${String((rec!.cleanupErrors[0] as Error)?.message ?? rec!.cleanupErrors[0])}`);
    }, blocked);

    let finalState: ReturnType<typeof harness.state.snapshot>['snapshot'] | undefined;
    await step('cancel: a final shutter stores the final State, then onClose, and no timer is left', async () => {
      const tail = Math.max(1, Math.floor(n * 0.03));
      await harness.foldUntil(n - tail, settle);
      await settle();
      const beforeCancel = rec!.lastStored;
      harness.foldSilently(n); // folded after the last timed shutter: only the final shutter can carry these
      finalState = harness.state.snapshot(0, 0, harness.clock.now()).snapshot;
      let cancelled = false;
      void engine!.cancel().then(() => { cancelled = true; });
      await until(() => cancelled, 'cancel() to return', () => harness.tick(0.25));
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
      noViolations();
    }, blocked);

    await step('backend: holds every task of the final State, as the final snapshot gave it', async () => {
      expect(finalState !== undefined, 'no final State (the cancel check failed)');
      expect(rec!.lastStored?.event_count === finalState.event_count, 'the final snapshot was not stored');
      await backendHolds();
    }, blocked ?? (options.readBack ? undefined : 'give readBack() so the kit can check what your backend stored'));
  } finally {
    rec?.dispose();
    if (engine && engine.health.status !== 'closed') await Promise.race([engine.cancel().catch(() => {}), sleep(1000)]);
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
    else logger.info({ dir }, 'conformance run directory kept');
  }
}
