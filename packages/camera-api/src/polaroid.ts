import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { CameraServices } from './host.js';
import type { Logger } from './runtime.js';
import type { FoldedEvent, Snapshot } from './snapshot.js';
import { API_VERSION } from './version.js';

/** What a camera's constructor receives. */
export interface CameraContext<O = Record<string, unknown>> {
  /** The camera's name in logs and health: its static cameraName, else the name it was configured by. */
  name: string;
  /** The camera's options, already validated by its optionsSchema. */
  options: O;
  /** Already bound to { camera: name } by the kernel. */
  logger: Logger;
  /** The kernel's clock and timer (and queue depths, when the receiver can tell). */
  host: CameraServices;
  /** Directory of the config file; resolve relative paths in options against it. */
  configDir?: string;
}

/** Passed to onShutter: abort fires when the kernel stops waiting (shutterTimeout). */
export interface ShutterContext {
  signal: AbortSignal;
  /** 1 for the first try of this snapshot, 2+ for retries. */
  attempt: number;
  /** The final shutter, taken at stop: nothing follows it (a camera may store it whole). */
  final?: boolean;
}

/** A camera class as the kernel sees it. */
export interface CameraClass<O = any> {
  new (ctx: CameraContext<O>): Polaroid<O>;
  readonly apiVersion: number;
  readonly cameraName?: string;
  readonly optionsSchema?: StandardSchemaV1<unknown, O>;
  /** Celery's clear_after, as the camera's default. */
  readonly clearAfter?: boolean;
}

/**
 * Celery's Polaroid: the class a camera extends. The kernel takes a snapshot of
 * the cluster State every `freq` seconds and hands it to onShutter(); override
 * onShutter (and, if you need them, onInstall, onCleanup, onClose, onEvent).
 *
 * This class only holds what the kernel gave the camera. Scheduling, maxrate,
 * retries with backoff, timeouts, superseding and the final shutter are the
 * kernel's (its shutter engine); the lifecycle rules are in docs/writing-a-camera.md.
 */
export abstract class Polaroid<O = Record<string, unknown>> {
  /** The camera API this class was built against; checked by the kernel. */
  static readonly apiVersion: number = API_VERSION;
  /** A short name for logs, health and `evcam-kernel --camera`; defaults to the configured name. */
  static readonly cameraName?: string;
  /** Validates and defaults the camera's options (zod, valibot, ... any Standard Schema). */
  static readonly optionsSchema?: StandardSchemaV1;

  readonly name: string;
  readonly options: O;
  readonly logger: Logger;
  readonly configDir: string;
  protected readonly host: CameraServices;

  constructor(ctx: CameraContext<O>) {
    this.name = ctx.name;
    this.options = ctx.options;
    this.logger = ctx.logger;
    this.host = ctx.host;
    this.configDir = ctx.configDir ?? process.cwd();
  }

  /** Open connections, create buckets/indices. Throw EvcamError (retryable or not) to refuse. */
  onInstall(): void | Promise<void> {}

  /**
   * Store one snapshot. May be async; throw or reject to have it retried. Stop when
   * ctx.signal aborts: until this call settles the camera gets no other shutter.
   */
  abstract onShutter(snapshot: Snapshot, ctx: ShutterContext): void | Promise<void>;

  /**
   * Optional: called synchronously after each event is folded into the State, in
   * stream order (counters that snapshots cannot give). Keep it cheap and
   * allocation-free; never keep or change the event.
   */
  onEvent?(event: FoldedEvent): void;

  /**
   * Optional: what the camera adds to its entry on the kernel's /healthz (as `details`);
   * `status: 'degraded'` in it makes the whole document degraded. Called per request: keep it cheap.
   */
  healthDetails?(): Record<string, unknown>;

  /** Every cleanupFreq seconds: expire old history. */
  onCleanup(): void | Promise<void> {}

  /** Once, after the final shutter (or after a failed onInstall): flush and close connections. */
  onClose(): void | Promise<void> {}
}

/** True if `value` looks like a camera class from any copy of this package. */
export function isCameraClass(value: unknown): value is CameraClass {
  return typeof value === 'function' && typeof (value as { apiVersion?: unknown }).apiVersion === 'number' &&
    typeof (value as { prototype?: { onShutter?: unknown } }).prototype?.onShutter === 'function';
}
