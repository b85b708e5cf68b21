import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import {
  EvcamError, ErrorCodes, shutterSignal, type CameraHost, type Clock, type Logger, type Timer,
} from '@evcam/camera-api';
import { backoffDelay } from '@evcam/retry';
import { Container, inject, injectable } from 'inversify';
import { planCameras } from './cameras/loader.js';
import type { Checkpointer } from './checkpoint/checkpointer.js';
import type { ComponentSpec, ResolvedConfig } from './config/schema.js';
import { OPEN_GATE, type ShutterGate } from './engine/gate.js';
import { ShutterEngine } from './engine/shutter-engine.js';
import { Ingestor } from './ingest/ingestor.js';
import { AmqpReceiver } from './receivers/amqp.js';
import { brokerKind } from './receivers/broker-url.js';
import type { Receiver } from './receivers/receiver.js';
import { SystemClock, SystemTimer } from './runtime/clock.js';
import { CeleryState } from './state/state.js';
import { TOKENS } from './tokens.js';

/** Built-in implementations, by the names `components.*` accepts. */
export const BUILTIN_COMPONENTS = {
  clock: { system: SystemClock },
  timer: { system: SystemTimer },
  state: { celery: CeleryState },
  receiver: { amqp: AmqpReceiver } as Record<string, new (...args: any[]) => Receiver>,
};

/** Services handed to a user-supplied component's constructor. */
export interface ComponentServices {
  config: ResolvedConfig;
  configDir: string;
  logger: Logger;
  container: Container;
}

async function importComponent(spec: string, configDir: string, kind: string): Promise<new (...args: any[]) => unknown> {
  try {
    const mod = spec.startsWith('.') || spec.startsWith('/')
      ? await import(pathToFileURL(resolve(configDir, spec)).href)
      : await import(spec);
    const value = mod.default ?? Object.values(mod).find((v) => typeof v === 'function');
    if (typeof value !== 'function') throw new Error(`it exports no class (exports: ${Object.keys(mod).join(', ') || 'nothing'})`);
    return value as new (...args: any[]) => unknown;
  } catch (err) {
    throw new EvcamError(ErrorCodes.COMPONENT, `components.${kind} "${spec}" could not be loaded: ${(err as Error).message}.`, { cause: err });
  }
}

/**
 * Bind one component: a built-in by name, or a user class/module. User classes
 * are built with `new Class(services)` so they need no decorators.
 */
async function bindComponent(
  container: Container, token: symbol, kind: keyof typeof BUILTIN_COMPONENTS, spec: ComponentSpec | undefined,
  fallback: string, services: Omit<ComponentServices, 'container'>,
): Promise<void> {
  const builtins = BUILTIN_COMPONENTS[kind] as Record<string, new (...args: any[]) => unknown>;
  const name = spec ?? fallback;
  if (typeof name === 'string' && builtins[name]) {
    container.bind(token).to(builtins[name]).inSingletonScope();
    return;
  }
  if (typeof name === 'string' && !name.startsWith('.') && !name.startsWith('/') && !name.includes('/') && !name.startsWith('@')) {
    throw new EvcamError(ErrorCodes.COMPONENT,
      `components.${kind} "${name}" is not a built-in (${Object.keys(builtins).join(', ')}); give a module path or a class instead.`);
  }
  const Ctor = typeof name === 'string' ? await importComponent(name, services.configDir, kind) : name;
  container.bind(token).toDynamicValue(() => new Ctor({ ...services, container })).inSingletonScope();
}

export interface BuildOptions {
  config: ResolvedConfig;
  configDir: string;
  logger: Logger;
  /** Replace the clock (replay uses the events' receive times). */
  clock?: Clock;
  /** Replace the timer (tests use a fake one). */
  timer?: Timer;
  /** Build without cameras (dump). */
  withoutCameras?: boolean;
  /** Shutter only while this is open (high availability); default: always. */
  gate?: ShutterGate;
}

/** The composition root: every kernel component bound to its token. */
export async function buildContainer(options: BuildOptions): Promise<Container> {
  const { config, configDir, logger } = options;
  const container = new Container({ defaultScope: 'Singleton' });
  const services = { config, configDir, logger };
  container.bind(TOKENS.Config).toConstantValue(config);
  container.bind(TOKENS.ConfigDir).toConstantValue(configDir);
  container.bind(TOKENS.Logger).toConstantValue(logger);
  if (options.clock) container.bind(TOKENS.Clock).toConstantValue(options.clock);
  else await bindComponent(container, TOKENS.Clock, 'clock', config.components.clock, 'system', services);
  if (options.timer) container.bind(TOKENS.Timer).toConstantValue(options.timer);
  else await bindComponent(container, TOKENS.Timer, 'timer', config.components.timer, 'system', services);
  if (config.components.state) {
    await bindComponent(container, TOKENS.State, 'state', config.components.state, 'celery', services);
  } else {
    container.bind(TOKENS.State).toDynamicValue(() => new CeleryState({
      maxTasksInMemory: config.maxTasksInMemory, maxWorkersInMemory: config.maxWorkersInMemory,
    }, logger.child({ component: 'state' })));
  }
  container.bind(TOKENS.Ingestor).toDynamicValue((ctx) => new Ingestor(
    ctx.get<CeleryState>(TOKENS.State), logger.child({ component: 'ingest' }), { maxBodyBytes: config.receiver.maxBodyBytes },
  ));
  // The broker URL picks the receiver, unless components.receiver says otherwise.
  const receiverName = config.components.receiver ?? brokerKind(config.broker);
  if (receiverName === 'redis' && !BUILTIN_COMPONENTS.receiver.redis) {
    const { RedisReceiver } = await import('./receivers/redis.js');
    BUILTIN_COMPONENTS.receiver.redis = RedisReceiver;
  }
  await bindComponent(container, TOKENS.Receiver, 'receiver', receiverName, 'amqp', services);
  container.bind(TOKENS.CameraHost).toDynamicValue((ctx): CameraHost => {
    const state = ctx.get<CeleryState>(TOKENS.State);
    const clock = ctx.get<Clock>(TOKENS.Clock);
    const ingestor = ctx.get<Ingestor>(TOKENS.Ingestor);
    const receiver = ctx.get<Receiver>(TOKENS.Receiver);
    const host: CameraHost = {
      timer: ctx.get<Timer>(TOKENS.Timer),
      clock,
      takeSnapshot: (since, seq) => state.snapshot(since, seq, clock.now()),
      hold: () => ingestor.hold(),
    };
    // Absent, not failing, when the receiver cannot tell.
    if (receiver.queueDepths) return { ...host, queueDepths: (queues) => receiver.queueDepths!(queues) };
    return host;
  });
  if (options.withoutCameras) {
    container.bind(TOKENS.Cameras).toConstantValue([]);
  } else {
    const plans = await planCameras(config, configDir);
    container.bind(TOKENS.Cameras).toDynamicValue((ctx) => {
      const host = ctx.get<CameraHost>(TOKENS.CameraHost);
      const engines = plans.map((plan) => new ShutterEngine(plan.create({
        host, configDir, logger: logger.child(plan.name === plan.source ? { camera: plan.name } : { camera: plan.name, source: plan.source }),
      }), host, plan.settings, { gate: options.gate ?? OPEN_GATE, source: plan.source }));
      ctx.get<Ingestor>(TOKENS.Ingestor).setCameras(engines);
      return engines;
    });
  }
  container.bind(TOKENS.Kernel).to(Kernel);
  return container;
}

/**
 * The running kernel: installs the cameras, starts the receiver, and on stop
 * takes a final shutter through every camera. A failing camera never takes the
 * others, or ingestion, down with it.
 */
@injectable()
export class Kernel {
  private stopped = false;
  private readonly retryTimers = new Set<() => void>();
  private disconnectCheckpoints: (() => void) | null = null;
  /** Set before start() to checkpoint the State (see checkpoint/checkpointer.ts). */
  checkpointer: Checkpointer | null = null;

  constructor(
    @inject(TOKENS.Config) readonly config: ResolvedConfig,
    @inject(TOKENS.Logger) readonly logger: Logger,
    @inject(TOKENS.State) readonly state: CeleryState,
    @inject(TOKENS.Ingestor) readonly ingestor: Ingestor,
    @inject(TOKENS.Receiver) readonly receiver: Receiver,
    /** One shutter engine per camera (`engine.camera` is the camera itself). */
    @inject(TOKENS.Cameras) readonly cameras: ShutterEngine[],
    @inject(TOKENS.Timer) readonly timer: Timer,
  ) {}

  /** Install every camera (by cameraStartPolicy), then start receiving. */
  async start(options: { receive?: boolean } = {}): Promise<void> {
    try {
      for (const camera of this.cameras) await this.installCamera(camera, 1);
    } catch (err) {
      // Not starting after all: every camera gets its onClose (the installed ones after a final shutter).
      this.stopped = true;
      for (const cancel of this.retryTimers) cancel();
      await Promise.all(this.cameras.map((camera) => camera.cancel().catch(() => {})));
      throw err;
    }
    if (options.receive !== false) await this.receiver.start();
    this.scheduleCheckpoints();
  }

  /** Every checkpoint.interval seconds, or by default at each shutter of the first camera. */
  private scheduleCheckpoints(): void {
    const checkpointer = this.checkpointer;
    if (checkpointer === null) return;
    const interval = this.config.checkpoint?.interval;
    const first = this.cameras[0]?.name;
    if (interval !== undefined || first === undefined) {
      checkpointer.every(interval ?? this.config.freq);
    } else {
      this.disconnectCheckpoints = shutterSignal.connect(({ camera }) => {
        if (camera === first) void checkpointer.write();
      });
    }
  }

  private async installCamera(camera: ShutterEngine, attempt: number): Promise<void> {
    try {
      await camera.install();
      if (attempt > 1) this.logger.info({ camera: camera.name, source: camera.source, attempt }, 'camera started');
    } catch (err) {
      const retryable = EvcamError.is(err) && err.retryable;
      if (!retryable || this.config.cameraStartPolicy === 'exit') {
        // Say which camera: with several, the camera's own message may not.
        const why = EvcamError.is(err) && err.message.includes(camera.source) ? err.message : (err as Error)?.message ?? String(err);
        throw new EvcamError(EvcamError.is(err) ? err.code : ErrorCodes.CAMERA_START,
          `camera "${camera.source}" failed to start: ${why}${retryable ? ' (cameraStartPolicy is "exit"; "retry" would wait for the backend)' : ''}`,
          { cause: err, retryable });
      }
      const delay = backoffDelay(attempt, { min: 2, max: this.config.maxBackoff });
      this.logger.warn({ err, camera: camera.name, source: camera.source, attempt, retryInSecs: delay },
        'camera backend is not available; the other cameras and ingestion carry on, retrying');
      const cancel = this.timer.callLater(delay, () => {
        this.retryTimers.delete(cancel);
        if (!this.stopped) void this.installCamera(camera, attempt + 1);
      });
      this.retryTimers.add(cancel);
    }
  }

  /** Stop consuming, take the final shutter through every camera, write the final checkpoint, close. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const cancel of this.retryTimers) cancel();
    this.disconnectCheckpoints?.();
    await this.receiver.pause?.().catch((err: unknown) => this.logger.warn({ err }, 'pausing the receiver failed'));
    await Promise.all(this.cameras.map((camera) => camera.cancel().catch((err: unknown) => {
      this.logger.error({ err, camera: camera.name }, 'camera failed to stop cleanly');
    })));
    // After the last fold and before the connection closes: its acks need the channel.
    await this.checkpointer?.close().catch((err: unknown) => this.logger.error({ err }, 'final checkpoint failed'));
    await this.receiver.stop().catch((err: unknown) => this.logger.warn({ err }, 'closing the receiver failed'));
  }
}
