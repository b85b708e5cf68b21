import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  cleanupSignal, shutterSignal, silentLogger, Signal, Polaroid, type CameraContext, type CameraHost, type Logger, type Snapshot,
} from '@evcam/camera-api';
import { buildContainer, CeleryState, FakeClock, loadConfig, ShutterEngine, TOKENS, type Kernel } from 'evcam-kernel';
import { readJson, type Golden } from './helpers/golden.js';
import { runKernel } from './helpers/kernel-process.js';
import { fixture, ROOT } from './helpers/paths.js';

/** A logger that keeps what was logged at error level. */
function errorLog(): { logger: Logger; errors: { obj: Record<string, unknown>; msg?: string }[] } {
  const errors: { obj: Record<string, unknown>; msg?: string }[] = [];
  const logger: Logger = {
    ...silentLogger,
    error: (obj: object | string, msg?: string) => { errors.push(typeof obj === 'string' ? { obj: {}, msg: obj } : { obj: obj as Record<string, unknown>, msg }); },
    child: () => logger,
  };
  return { logger, errors };
}

/** A camera that only remembers the seqs it stored. */
class SeqCamera extends Polaroid {
  readonly seen: string[];
  constructor(ctx: CameraContext & { seen: string[] }) {
    super(ctx);
    this.seen = ctx.seen;
  }
  override onShutter(snapshot: Snapshot): void { this.seen.push(`onShutter ${snapshot.seq}`); }
  override onCleanup(): void { this.seen.push('onCleanup'); }
}

describe('Signal', () => {
  it('delivers to every receiver until it unsubscribes', () => {
    const signal = new Signal<number>('test');
    const got: string[] = [];
    const offA = signal.connect((n) => { got.push(`a${n}`); });
    signal.connect((n) => { got.push(`b${n}`); });
    signal.send(1);
    offA();
    signal.send(2);
    assert.deepEqual(got, ['a1', 'b1', 'b2']);
    assert.equal(signal.size, 1);
  });

  it('logs and isolates a receiver that throws or rejects; the others still get every payload', async () => {
    const signal = new Signal<number>('evcam.test_signal');
    const { logger, errors } = errorLog();
    const got: number[] = [];
    signal.connect(() => { throw new Error('boom'); });
    signal.connect(async () => { throw new Error('async boom'); });
    signal.connect((n) => { got.push(n); });
    signal.send(1, logger);
    signal.send(2, logger);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(got, [1, 2]);
    assert.deepEqual(errors.map((e) => [e.msg, e.obj.signal, (e.obj.err as Error).message]).sort(), [
      ['signal receiver failed', 'evcam.test_signal', 'async boom'], ['signal receiver failed', 'evcam.test_signal', 'async boom'],
      ['signal receiver failed', 'evcam.test_signal', 'boom'], ['signal receiver failed', 'evcam.test_signal', 'boom'],
    ]);
  });
});

describe('shutter_signal and cleanup_signal on a camera', () => {
  it('send every shutter (with the snapshot, before onShutter) and every cleanup (before onCleanup); a throwing receiver changes nothing', async () => {
    const clock = new FakeClock();
    const state = new CeleryState();
    state.event({ type: 'task-received', uuid: 'u1', hostname: 'w1@lab', name: 'tasks.add', timestamp: clock.now(), local_received: clock.now(), clock: 1 });
    const host: CameraHost = {
      timer: clock, clock, takeSnapshot: (since, seq) => state.snapshot(since, seq, clock.now()), hold: () => () => {},
    };
    const seen: string[] = [];
    const { logger, errors } = errorLog();
    const offs = [
      shutterSignal.connect(({ camera, snapshot }) => { seen.push(`shutter ${camera} ${snapshot.seq} ${Object.keys(snapshot.tasks).join()}`); }),
      shutterSignal.connect(() => { throw new Error('bad subscriber'); }),
      cleanupSignal.connect(({ camera }) => { seen.push(`cleanup ${camera}`); }),
      cleanupSignal.connect(() => { throw new Error('bad subscriber'); }),
    ];
    try {
      const camera = new ShutterEngine(new SeqCamera({ name: 'cam', options: {}, logger, host, seen }), host, { freq: 1, cleanupFreq: 2 });
      await camera.install();
      await clock.advance(2);
      await camera.cancel();
      assert.deepEqual(seen, [
        'shutter cam 1 u1', 'onShutter 1',
        'shutter cam 2 u1', 'onShutter 2', 'cleanup cam', 'onCleanup',
        'shutter cam 3 u1', 'onShutter 3',
      ]);
      assert.equal(camera.health.stored, 3);
      assert.equal(camera.health.failures, 0);
      assert.equal(errors.filter((e) => e.msg === 'signal receiver failed').length, 4);
    } finally {
      for (const off of offs) off();
    }
  });
});

describe('signals through the real kernel', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'evcam-signals-'));
    // As a user's project would have them installed.
    mkdirSync(join(dir, 'node_modules', '@evcam'), { recursive: true });
    symlinkSync(join(ROOT, 'packages', 'kernel'), join(dir, 'node_modules', 'evcam-kernel'), 'dir');
    symlinkSync(join(ROOT, 'packages', 'camera-api'), join(dir, 'node_modules', '@evcam', 'camera-api'), 'dir');
    writeFileSync(join(dir, 'package.json'), '{ "name": "app", "private": true, "type": "module" }\n');
    writeFileSync(join(dir, 'tiny-camera.mjs'), [
      "import { appendFileSync } from 'node:fs';",
      "import { Polaroid } from '@evcam/camera-api';",
      'export default class TinyCamera extends Polaroid {',
      "  onShutter(s) { appendFileSync(new URL('./stored.log', import.meta.url), `stored ${s.seq} ${s.event_count}\\n`); }",
      '}',
    ].join('\n'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a config that subscribes to shutterSignal from evcam-kernel sees the final shutter of a replay, past a throwing subscriber', async () => {
    writeFileSync(join(dir, 'evcam.config.mjs'), [
      "import { appendFileSync } from 'node:fs';",
      "import { defineConfig, shutterSignal } from 'evcam-kernel';",
      "shutterSignal.connect(() => { throw new Error('broken metrics exporter'); });",
      'shutterSignal.connect(({ camera, snapshot }) => appendFileSync(new URL(\'./signals.log\', import.meta.url),',
      '  `shutter ${camera} ${snapshot.seq} ${snapshot.event_count} ${Object.keys(snapshot.tasks).length}\\n`));',
      "export default defineConfig({ camera: './tiny-camera.mjs' });",
    ].join('\n'));
    const run = await runKernel(['replay', fixture('rabbitmq-5.2.6.jsonl')], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    const golden = readJson<Golden>(fixture('rabbitmq-5.2.6.golden.json'));
    assert.equal(readFileSync(join(dir, 'signals.log'), 'utf8'),
      `shutter ./tiny-camera.mjs 1 ${golden.event_count} ${Object.keys(golden.tasks).length}\n`);
    assert.equal(readFileSync(join(dir, 'stored.log'), 'utf8'), `stored 1 ${golden.event_count}\n`);
    assert.match(run.stderr, /signal receiver failed/);
    assert.match(run.stderr, /broken metrics exporter/);
  });

  it('cleanupSignal fires on the kernel\'s cleanupFreq timer', async () => {
    writeFileSync(join(dir, 'cleanup.json'), JSON.stringify({ camera: './tiny-camera.mjs', freq: 1, cleanupFreq: 5 }));
    const { config, configDir } = await loadConfig({ configPath: join(dir, 'cleanup.json') });
    const clock = new FakeClock();
    const container = await buildContainer({ config, configDir, logger: silentLogger, clock, timer: clock });
    const kernel = await container.getAsync<Kernel>(TOKENS.Kernel);
    const cleanups: string[] = [];
    const off = cleanupSignal.connect(({ camera }) => { cleanups.push(camera); });
    try {
      await kernel.start({ receive: false });
      await clock.advance(4);
      assert.deepEqual(cleanups, []);
      await clock.advance(1);
      assert.deepEqual(cleanups, ['./tiny-camera.mjs']);
      await clock.advance(5);
      assert.deepEqual(cleanups, ['./tiny-camera.mjs', './tiny-camera.mjs']);
    } finally {
      off();
      await kernel.stop();
    }
  });
});

describe('@evcam/camera-api stays thin', () => {
  const apiDir = join(ROOT, 'packages', 'camera-api');

  it('declares no runtime dependency on inversify, amqplib or cosmiconfig', () => {
    const pkg = readJson<Record<string, Record<string, string> | undefined>>(join(apiDir, 'package.json'));
    const runtime = { ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies };
    assert.deepEqual(Object.keys(runtime), ['@standard-schema/spec']);
  });

  it('imports nothing at runtime but itself and node: builtins', () => {
    const dist = join(apiDir, 'dist');
    const specifiers = new Set<string>();
    for (const file of readdirSync(dist).filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(join(dist, file), 'utf8');
      for (const m of code.matchAll(/(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)) {
        specifiers.add(m[1] ?? m[2] ?? m[3]);
      }
    }
    assert.ok(specifiers.size > 0, 'found no imports at all: the scan is broken');
    assert.deepEqual([...specifiers].filter((s) => !s.startsWith('./') && !s.startsWith('node:')), []);
  });
});

describe('camera API version', () => {
  it('the kernel refuses a camera built for API 2 with EVCAM_ERR_API_VERSION, naming the versions that fit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-apiv2-'));
    try {
      const api = pathToFileURL(join(ROOT, 'packages', 'camera-api', 'dist', 'index.js')).href;
      writeFileSync(join(dir, 'future-camera.mjs'), [
        `import { Polaroid } from ${JSON.stringify(api)};`,
        'export default class FutureCamera extends Polaroid { static apiVersion = 2; onShutter() {} }',
      ].join('\n'));
      const run = await runKernel(['replay', fixture('custom-5.2.6.jsonl'), '--camera', join(dir, 'future-camera.mjs')], { cwd: dir });
      assert.equal(run.code, 78, run.stderr);
      assert.match(run.stderr, /EVCAM_ERR_API_VERSION: camera ".*future-camera\.mjs" was built for camera API 2, but this evcam-kernel supports 1\./);
      assert.match(run.stderr, /API_VERSION 1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
