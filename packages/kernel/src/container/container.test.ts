import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EvcamError, silentLogger, type Clock, type Logger, type Timer } from '@evcam/camera-api';
import { ContainerModule, inject, injectable } from 'inversify';
import { Checkpointer } from '../checkpoint/checkpointer.js';
import { configSchema, type EvcamConfig } from '../config/schema.js';
import { OPEN_GATE, type ShutterGate } from '../engine/gate.js';
import { buildContainer, type Kernel } from '../kernel.js';
import { BUILTIN_RECEIVERS } from '../modules/receiver.js';
import { SystemClock } from '../runtime/clock.js';
import { CeleryState } from '../state/state.js';
import { TOKENS } from '../tokens.js';
import { Ids } from './ids.js';

const build = (config: EvcamConfig, configDir = tmpdir(), logger: Logger = silentLogger) =>
  buildContainer({ config: configSchema.parse(config), configDir, logger, withoutCameras: true });

/** A logger that keeps every warning, children included. */
function warningsLogger(): Logger & { warnings: { obj: unknown; msg?: string }[] } {
  const warnings: { obj: unknown; msg?: string }[] = [];
  const noop = () => {};
  const logger = {
    warnings, trace: noop, debug: noop, info: noop, error: noop, fatal: noop,
    warn: (obj: unknown, msg?: string) => { warnings.push({ obj, msg }); },
    child: () => logger,
  };
  return logger as unknown as Logger & { warnings: { obj: unknown; msg?: string }[] };
}

interface Folding { receiveEvent(event: unknown, at: number): void }
interface Sized { tasks: { size: number } }

const taskEvent = (i: number) => ({ type: 'task-received', uuid: `task-${i}`, hostname: 'w1', timestamp: 1_700_000_000 + i, name: 't' });

describe('DI bugs of the old composition root', () => {
  test("components: { state: 'celery' } keeps maxTasksInMemory and the logger", async () => {
    const logger = warningsLogger();
    const container = await build({ components: { state: 'celery' }, maxTasksInMemory: 3 }, tmpdir(), logger);
    const ingestor = container.get(TOKENS.Ingestor) as Folding;
    for (let i = 0; i < 5; i++) ingestor.receiveEvent(taskEvent(i), 1_700_000_000 + i);
    assert.equal((container.get(TOKENS.State) as Sized).tasks.size, 3, 'the LRU limit configured, not the default 10000');
    // A worker clock 100 s off: CeleryState warns through the logger it was given.
    ingestor.receiveEvent({ type: 'worker-heartbeat', hostname: 'w2', timestamp: 1_700_000_000 }, 1_700_000_100);
    assert.ok(logger.warnings.some((w) => /drift/i.test(w.msg ?? '')), `no drift warning: ${JSON.stringify(logger.warnings)}`);
  });

  test('components.clock reaches the Timer', async () => {
    let reads = 0;
    class CountingClock implements Clock {
      now(): number { reads++; return Date.now() / 1000; }
    }
    const container = await build({ components: { clock: CountingClock } });
    const timer = container.get(TOKENS.Timer) as Timer;
    const before = reads;
    const cancel = timer.callRepeatedly(3600, () => {});
    cancel();
    assert.ok(reads > before, 'SystemTimer scheduled with its own clock, not components.clock');
  });
});

// The kernel's own inversify, as a user's project would have it installed.
const INVERSIFY = new URL('../../../../node_modules/inversify/lib/index.js', import.meta.url).href;

describe('the container', () => {
  test('a module path in `modules` rebinds any service (here the shutter gate), after the kernel\'s own modules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-modules-'));
    writeFileSync(join(dir, 'leader.mjs'), `
      import { ContainerModule } from '${INVERSIFY}';
      export default new ContainerModule(({ rebind }) => {
        rebind(Symbol.for('evcam.ShutterGate')).toConstantValue({ isOpen: () => false, epoch: 7 });
      });`);
    const container = await build({ modules: ['./leader.mjs'] }, dir);
    const gate = container.get(Ids.ShutterGate) as ShutterGate;
    assert.equal(gate.isOpen(), false);
    assert.equal(gate.epoch, 7);
    const plain = await build({});
    assert.equal(plain.get(Ids.ShutterGate), OPEN_GATE);
  });

  test('a ContainerModule given in the config replaces the State everything else receives', async () => {
    const mine = new CeleryState({ maxTasksInMemory: 2 });
    const module = new ContainerModule(({ rebind }) => { rebind(Ids.State).toConstantValue(mine); });
    const container = await build({ modules: [module] });
    const kernel = await container.getAsync(Ids.Kernel) as Kernel;
    assert.equal(kernel.state, mine);
    kernel.ingestor.receiveEvent(taskEvent(1), 1);
    assert.equal(mine.eventCount, 1, 'the Ingestor folds into the rebound State');
  });

  test('a module that exports no ContainerModule is a coded error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-modules-'));
    writeFileSync(join(dir, 'nothing.mjs'), 'export const x = 1;');
    await assert.rejects(build({ modules: ['./nothing.mjs'] }, dir),
      (err: unknown) => EvcamError.is(err) && err.code === 'EVCAM_ERR_COMPONENT' && err.message.includes('nothing.mjs') && err.message.includes('ContainerModule'));
    await assert.rejects(build({ modules: ['./absent.mjs'] }, dir),
      (err: unknown) => EvcamError.is(err) && err.code === 'EVCAM_ERR_COMPONENT' && err.message.includes('absent.mjs'));
  });

  test('a decorator-free user State receives the limits and a logger; the Ingestor and Kernel use it', async () => {
    class ListState {
      readonly events: unknown[] = [];
      constructor(readonly services: { limits: { maxTasksInMemory: number }; logger: Logger; configDir: string }) {}
      event(e: unknown): void { this.events.push(e); }
      clear(): void {}
      snapshot(): never { throw new Error('unused'); }
      save(): never { throw new Error('unused'); }
      restore(): void {}
      eventCount = 0; taskCount = 0; tasks = { size: 0 }; workers = { size: 0 };
    }
    const container = await build({ components: { state: ListState }, maxTasksInMemory: 9 }, '/srv/evcam');
    const state = container.get(Ids.State) as unknown as ListState;
    assert.equal(state.services.limits.maxTasksInMemory, 9);
    assert.equal(state.services.configDir, '/srv/evcam');
    assert.equal(typeof state.services.logger.warn, 'function');
    (container.get(Ids.Ingestor) as Folding).receiveEvent(taskEvent(1), 1);
    assert.equal(state.events.length, 1);
  });

  test('an @injectable() user class is built by inversify with its own @inject()s', async () => {
    @injectable()
    class ConfiguredClock implements Clock {
      constructor(@inject(Ids.Config) readonly config: { freq: number }) {}
      now(): number { return this.config.freq; }
    }
    const container = await build({ components: { clock: ConfiguredClock }, freq: 4 });
    assert.equal((container.get(Ids.Clock) as Clock).now(), 4);
  });

  test('a user receiver receives the Ingestor and the Clock', async () => {
    class FileReceiver {
      readonly kind = 'file';
      constructor(readonly services: { ingestor: unknown; clock: unknown }) {}
      async start(): Promise<void> {}
      async stop(): Promise<void> {}
      health() { return { connected: true, reconnects: 0, lastError: null, disconnectedSecs: 0 }; }
    }
    const container = await build({ components: { receiver: FileReceiver } });
    const receiver = container.get(Ids.Receiver) as unknown as FileReceiver;
    assert.equal(receiver.services.ingestor, container.get(Ids.Ingestor));
    assert.equal(receiver.services.clock, container.get(Ids.Clock));
  });

  test('replay: the capture clock is the Clock, the Timer keeps wall time', async () => {
    const captureClock: Clock = { now: () => 0 };
    const container = await buildContainer({ config: configSchema.parse({}), configDir: tmpdir(), logger: silentLogger, clock: captureClock, withoutCameras: true });
    assert.equal(container.get(Ids.Clock), captureClock);
    assert.ok(container.get(Ids.TimerClock) instanceof SystemClock);
  });

  test('the Checkpointer and the HTTP server come from the container; the Kernel starts and stops them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-kernel-'));
    const config = { checkpoint: { file: join(dir, 'cp.json') }, http: { port: 0 } };
    const container = await build(config);
    const kernel = await container.getAsync(Ids.Kernel) as Kernel;
    assert.ok(kernel.checkpointer instanceof Checkpointer);
    assert.equal(kernel.checkpointer, container.get(Ids.Checkpointer));
    assert.equal(kernel.http, container.get(Ids.HttpServer));
    await kernel.start({ receive: false });
    try {
      const health = await (await fetch(`http://127.0.0.1:${kernel.http!.port}/healthz`)).json() as { checkpoint: unknown; state: { tasks: number } };
      assert.equal(health.state.tasks, 0);
      assert.notEqual(health.checkpoint, null);
    } finally {
      await kernel.stop();
    }
    assert.ok(existsSync(join(dir, 'cp.json')), 'the final checkpoint was written at stop');
    const replay = await buildContainer({ config: configSchema.parse(config), configDir: dir, logger: silentLogger, withoutCameras: true, command: 'replay' });
    assert.equal(replay.isBound(Ids.Checkpointer), false);
    assert.equal(replay.isBound(Ids.HttpServer), false);
  });

  test('kernel services bound by a module start after the kernel and stop after its final shutter, in reverse order', async () => {
    const calls: string[] = [];
    const service = (name: string) => ({ name, start: async () => { calls.push(`start ${name}`); }, stop: async () => { calls.push(`stop ${name}`); } });
    const module = new ContainerModule(({ bind }) => {
      bind(Ids.KernelService).toConstantValue(service('lease'));
      bind(Ids.KernelService).toConstantValue(service('exporter'));
    });
    const kernel = await (await build({ modules: [module] })).getAsync(Ids.Kernel) as Kernel;
    await kernel.start({ receive: false });
    assert.deepEqual(calls, ['start lease', 'start exporter']);
    await kernel.stop();
    assert.deepEqual(calls, ['start lease', 'start exporter', 'stop exporter', 'stop lease']);
    const none = await (await build({})).getAsync(Ids.Kernel) as Kernel;
    assert.deepEqual(none.services, []);
  });

  test('BuildOptions.gate binds the shutter gate every engine gets', async () => {
    const gate: ShutterGate = { isOpen: () => false, epoch: 3 };
    const container = await buildContainer({ config: configSchema.parse({}), configDir: tmpdir(), logger: silentLogger, gate, withoutCameras: true });
    assert.equal(container.get(Ids.ShutterGate), gate);
  });

  test('built-in receivers are a frozen table, not a registry filled at run time', async () => {
    assert.ok(Object.isFrozen(BUILTIN_RECEIVERS));
    assert.deepEqual(Object.keys(BUILTIN_RECEIVERS), ['amqp', 'redis']);
  });
});
