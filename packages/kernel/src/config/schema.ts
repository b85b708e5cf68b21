import type { CameraClass, CameraContext, Polaroid, Rate } from '@evcam/camera-api';
import type { ContainerModule } from '#inversify';
import { z } from 'zod';
import { haSchema } from '../ha/settings.js';

/** A camera factory given directly in evcam.config.ts. */
export type CameraFactory = ((ctx: CameraContext<any>) => Polaroid<any>) & { optionsSchema?: unknown; cameraName?: string };

/**
 * How a camera is named: a short name ('file', 's3', 'elasticsearch'), an installed
 * package ('@acme/evcam-camera-kafka'), a path to a .ts/.js module (relative to the
 * config file), or a camera class/factory given directly.
 */
export type CameraSpec = string | CameraClass | CameraFactory;

/** One camera with its own options and, optionally, its own Polaroid settings. */
export interface CameraEntry {
  use: CameraSpec;
  options?: Record<string, unknown>;
  freq?: number;
  maxrate?: Rate | null;
  cleanupFreq?: number;
  clearAfter?: boolean;
  shutterTimeout?: number;
}

/** A component given by built-in name, module path, or class. */
export type ComponentSpec = string | (new (...args: any[]) => unknown);

const isFunction = (v: unknown): boolean => typeof v === 'function';
const cameraSpec = z.union([z.string().min(1), z.custom<CameraClass | CameraFactory>(isFunction, 'expected a camera name, path, class or factory')]);
const componentSpec = z.union([z.string().min(1), z.custom<new (...args: any[]) => unknown>(isFunction, 'expected a name, module path or class')]);
/** Duck-typed: a user's module may come from its own copy of inversify. */
const isContainerModule = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && typeof (v as { load?: unknown }).load === 'function' && typeof (v as { id?: unknown }).id === 'number';
/** A user ContainerModule: a module path (relative to the config file) or the module itself. */
export type ModuleSpec = string | ContainerModule;
const moduleSpec = z.union([z.string().min(1), z.custom<ContainerModule>(isContainerModule, 'expected a module path or an inversify ContainerModule')]);
const seconds = z.number().positive();
const rate = z.union([z.string(), z.number().nonnegative()]).nullable();

const cameraEntry = z.strictObject({
  use: cameraSpec,
  options: z.record(z.string(), z.unknown()).optional(),
  freq: seconds.optional(),
  maxrate: rate.optional(),
  cleanupFreq: seconds.optional(),
  clearAfter: z.boolean().optional(),
  shutterTimeout: z.number().nonnegative().optional(),
});

export const receiverSchema = z.strictObject({
  /** Celery's event_exchange. */
  exchange: z.string().min(1).default('celeryev'),
  /** Celery's event_queue_prefix: queues are named <prefix>.<uuid4>. */
  queuePrefix: z.string().min(1).default('celeryev'),
  /** Celery's event_queue_ttl, seconds (x-message-ttl); null to omit. */
  queueTtl: z.number().positive().nullable().default(5.0),
  /** Celery's event_queue_expires, seconds (x-expires); null to omit. */
  queueExpires: z.number().positive().nullable().default(60.0),
  /** Celery 5.6's event_queue_exclusive. RabbitMQ 4.3 needs true (or durable). */
  exclusive: z.boolean().default(false),
  /** Celery 5.6's event_queue_durable. */
  durable: z.boolean().default(false),
  /** No-loss mode: a durable named queue, messages acked only after they are folded. */
  queue: z.string().min(1).optional(),
  /** No-loss mode: x-expires of the named queue, seconds, so a forgotten queue does not grow forever. */
  namedQueueExpires: z.number().positive().nullable().default(7 * 24 * 3600),
  /** No-loss mode: x-max-length of the named queue (messages). */
  maxLength: z.number().int().positive().optional(),
  /** No-loss mode: what RabbitMQ does at maxLength. */
  overflow: z.enum(['drop-head', 'reject-publish']).default('drop-head'),
  /**
   * How messages of the named queue are acknowledged (AMQP). 'auto': 'checkpoint' with a
   * checkpoint file, else 'fold'. 'fold': after folding (a dropped connection loses
   * nothing). 'checkpoint': once a checkpoint holds their events (a crash loses nothing).
   * 'none': Celery's own no_ack consumption, fastest; messages in flight when the
   * connection drops are lost. Without `queue` there is nothing to ack: always 'none'.
   */
  acks: z.enum(['auto', 'none', 'fold', 'checkpoint']).default('auto'),
  /** No-loss mode: unacknowledged messages in flight (basic.qos). */
  prefetch: z.number().int().positive().default(10000),
  /** AMQP heartbeat seconds; omit for the server's value, 0 disables. */
  heartbeat: z.number().int().nonnegative().optional(),
  /** TLS for amqps:// and rediss:// (paths are relative to the config file). */
  tls: z.strictObject({
    ca: z.string().optional(),
    cert: z.string().optional(),
    key: z.string().optional(),
    servername: z.string().optional(),
    rejectUnauthorized: z.boolean().default(true),
  }).optional(),
  /** Reconnect backoff, seconds: capped exponential with jitter. */
  reconnect: z.strictObject({
    minDelay: z.number().positive().default(0.5),
    maxDelay: z.number().positive().default(30),
  }).prefault({}),
  /** Broadcast Celery's `heartbeat` control command on connect so workers show up at once. */
  wakeup: z.boolean().default(true),
  /** Bodies larger than this are refused, bytes. */
  maxBodyBytes: z.number().int().positive().default(8 * 1024 * 1024),
  /** Redis transport options, as kombu spells them. */
  redis: z.strictObject({
    globalKeyprefix: z.string().default(''),
    fanoutPrefix: z.union([z.boolean(), z.string()]).default(true),
    fanoutPatterns: z.boolean().default(true),
    sentinelMaster: z.string().optional(),
    /** kombu's sentinel_kwargs password: for the Sentinels themselves (the URL's password is the master's). */
    sentinelPassword: z.string().optional(),
    /** kombu's health_check_interval, seconds: PING the subscription this often, reconnect if it stays silent; 0 disables. */
    healthCheckInterval: z.number().nonnegative().default(25),
    /** CLIENT SETNAME of the subscriber connection, so operators can find it in CLIENT LIST. */
    clientName: z.string().regex(/^[^\s]+$/, 'no spaces').default('evcam'),
  }).prefault({}),
}).prefault({});

export const configSchema = z.strictObject({
  broker: z.string().min(1).default('amqp://guest:guest@127.0.0.1:5672//'),
  camera: z.union([cameraSpec, cameraEntry]).optional(),
  cameras: z.array(z.union([cameraSpec, cameraEntry])).optional(),
  cameraOptions: z.record(z.string(), z.unknown()).optional(),
  freq: seconds.default(1.0),
  maxrate: rate.default(null),
  cleanupFreq: seconds.default(3600.0),
  clearAfter: z.boolean().default(false),
  shutterTimeout: z.number().nonnegative().default(30),
  maxBackoff: seconds.default(30),
  finalShutterTimeout: seconds.default(10),
  /** A camera that fails at start: 'exit' non-zero, or 'retry' while its backend is down. */
  cameraStartPolicy: z.enum(['exit', 'retry']).default('retry'),
  maxTasksInMemory: z.number().int().nonnegative().default(10000),
  maxWorkersInMemory: z.number().int().nonnegative().default(5000),
  receiver: receiverSchema,
  log: z.strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    file: z.string().optional(),
    pretty: z.boolean().optional(),
  }).prefault({}),
  pidfile: z.string().optional(),
  /** Replace a kernel component by built-in name, module path or class. */
  components: z.strictObject({
    clock: componentSpec.optional(),
    timer: componentSpec.optional(),
    state: componentSpec.optional(),
    receiver: componentSpec.optional(),
  }).prefault({}),
  /**
   * inversify ContainerModules loaded after the kernel's own, so they can rebind
   * any service (see docs/architecture.md, The container).
   */
  modules: z.array(moduleSpec).default([]),
  /** /healthz and /metrics; off unless a port is given. */
  http: z.strictObject({ port: z.number().int().nonnegative(), host: z.string().default('127.0.0.1') }).optional(),
  /** Crash recovery: the State saved to a local file (see README, Reliability). */
  checkpoint: z.union([
    // `checkpoint: false` (--no-checkpoint): no-loss mode without crash recovery.
    z.literal(false).transform(() => ({ enabled: false as boolean, file: undefined as string | undefined, interval: undefined as number | undefined })),
    z.strictObject({
      /** No-loss mode checkpoints by default; false turns it off (a crash then loses the State). */
      enabled: z.boolean().default(true),
      /** Default in no-loss mode: $XDG_STATE_HOME/evcam/<queue>.checkpoint.json (else ~/.local/state/evcam/). */
      file: z.string().optional(),
      /** Seconds between checkpoints; default: at each shutter of the first camera. */
      interval: z.number().positive().optional(),
    }),
  ]).optional(),
  /** High availability: kernels of one group elect a leader; only the leader's cameras write (see docs/reliability.md). */
  ha: haSchema.optional(),
  /** Stop after this many events have been folded (Celery's capture(limit=N)). */
  limit: z.number().int().positive().optional(),
}).superRefine((config, ctx) => {
  const acks = config.receiver.acks;
  if ((acks === 'fold' || acks === 'checkpoint') && config.receiver.queue === undefined) {
    ctx.addIssue({ code: 'custom', path: ['receiver', 'acks'],
      message: `'${acks}' needs a named queue (receiver.queue or --queue): the default queue dies with its connection, so there is nothing to ack` });
  }
  if (acks === 'checkpoint' && config.checkpoint?.enabled === false) {
    ctx.addIssue({ code: 'custom', path: ['receiver', 'acks'], message: "'checkpoint' needs checkpoints: drop checkpoint: false (--no-checkpoint)" });
  }
});

/** How the AMQP receiver acknowledges, once receiver.acks 'auto' is decided. */
export type AckMode = 'none' | 'fold' | 'checkpoint';

/** What receiver.acks means for a resolved config. */
export function ackMode(config: ResolvedConfig): AckMode {
  const { acks, queue } = config.receiver;
  if (queue === undefined || acks === 'none') return 'none';
  if (acks === 'auto') return config.checkpoint?.file !== undefined ? 'checkpoint' : 'fold';
  return acks;
}

/** What users write in evcam.config.ts (everything optional). */
export type EvcamConfig = z.input<typeof configSchema>;
/** The configuration after defaults and validation. */
export type ResolvedConfig = z.output<typeof configSchema>;
export type ReceiverConfig = ResolvedConfig['receiver'];

/** Typed helper for evcam.config.ts. */
export function defineConfig(config: EvcamConfig): EvcamConfig {
  return config;
}
