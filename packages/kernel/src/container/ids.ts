import type { CameraHost, Clock, Logger, Timer } from '@evcam/camera-api';
import type { CameraPlan } from '../cameras/loader.js';
import type { ResolvedConfig } from '../config/schema.js';
import type { ShutterGate } from '../engine/gate.js';
import type { HaCoordinator } from '../ha/coordinator.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { Kernel } from '../kernel.js';
import type { Receiver } from '../receivers/receiver.js';
import type { StateLimits } from '../state/state.js';
import type { ShutterEngine } from '../engine/shutter-engine.js';
import type { Checkpointer, DecodedEventSink, HttpServer, KernelParts, KernelService, State } from './services.js';

declare const serviceType: unique symbol;

/**
 * A service identifier that carries the type bound to it, so
 * `container.get(Ids.State)` is a `State` and a binding of the wrong type does not compile.
 */
export type ServiceId<T> = symbol & { readonly [serviceType]?: T };

/** The type a ServiceId stands for. */
export type ServiceOf<I> = I extends ServiceId<infer T> ? T : never;

// Symbol.for, so two copies of the kernel (or a user's module) agree on them.
const id = <T>(name: string): ServiceId<T> => Symbol.for(`evcam.${name}`) as ServiceId<T>;

/** Every service the kernel's container binds (see docs/architecture.md, The container). */
export const Ids = {
  /** runtime */
  Config: id<ResolvedConfig>('Config'),
  ConfigDir: id<string>('ConfigDir'),
  Logger: id<Logger>('Logger'),
  /** "Now" as the State and snapshots see it (replay: the capture's receive times). */
  Clock: id<Clock>('Clock'),
  /** What the Timer measures intervals with: the Clock, except in replay (wall time). */
  TimerClock: id<Clock>('TimerClock'),
  Timer: id<Timer>('Timer'),
  /** Whether shutters may fire (the HA module rebinds it). */
  ShutterGate: id<ShutterGate>('ShutterGate'),
  /** state */
  StateLimits: id<StateLimits>('StateLimits'),
  State: id<State>('State'),
  /** ingest */
  Ingestor: id<Ingestor>('Ingestor'),
  DecodedEventSink: id<DecodedEventSink>('DecodedEventSink'),
  /** receiver */
  Receiver: id<Receiver>('Receiver'),
  /** cameras */
  CameraPlans: id<readonly CameraPlan[]>('CameraPlans'),
  CameraHost: id<CameraHost>('CameraHost'),
  /** One shutter engine per camera (`engine.camera` is the camera). */
  Cameras: id<ShutterEngine[]>('Cameras'),
  /** checkpoint (bound only when a checkpoint file is configured) */
  Checkpointer: id<Checkpointer>('Checkpointer'),
  /** ha (bound only when `ha` is configured): the leader lease; it is also the ShutterGate */
  Ha: id<HaCoordinator>('Ha'),
  /** http (bound only when http.port is configured) */
  HttpServer: id<HttpServer>('HttpServer'),
  KernelParts: id<KernelParts>('KernelParts'),
  /** Any number of services the Kernel starts after itself and stops after its final shutter. */
  KernelService: id<KernelService>('KernelService'),
  Kernel: id<Kernel>('Kernel'),
} as const;
