import 'reflect-metadata';
import {
  EvcamError, ErrorCodes, shutterSignal, type Logger, type Timer,
} from '@evcam/camera-api';
import { backoffDelay } from '@evcam/retry';
import { inject, injectable, multiInject, optional } from '#inversify';
import type { ResolvedConfig } from './config/schema.js';
import { Ids } from './container/ids.js';
import type { Checkpointer, HttpServer, KernelParts, KernelService, State } from './container/services.js';
import type { ShutterEngine } from './engine/shutter-engine.js';
import type { Ingestor } from './ingest/ingestor.js';
import type { Receiver } from './receivers/receiver.js';

export { buildContainer, type BuildOptions } from './container/build.js';
export type { ComponentServices } from './container/services.js';

export interface StartOptions {
  /** Start the receiver (false for replay: the events come from a file). */
  receive?: boolean;
  /** Retry a camera whose backend is down (cameraStartPolicy 'retry'); false fails at once (replay). */
  retryCameraStart?: boolean;
}

/**
 * The running kernel: installs the cameras, starts the receiver, and on stop
 * takes a final shutter through every camera. A failing camera never takes the
 * others, or ingestion, down with it.
 */
@injectable()
export class Kernel implements KernelParts {
  private stopped = false;
  private readonly retryTimers = new Set<() => void>();
  private disconnectCheckpoints: (() => void) | null = null;
  private retryCameraStart = true;
  /** Checkpoints the State (bound when checkpoint.file is set; see checkpoint/checkpointer.ts). */
  readonly checkpointer: Checkpointer | null;
  /** /healthz and /metrics (bound when http.port is set). */
  readonly http: HttpServer | null;
  /** Started after the receiver, stopped after the final shutter (Ids.KernelService). */
  readonly services: readonly KernelService[];
  private readonly started: KernelService[] = [];

  constructor(
    @inject(Ids.Config) readonly config: ResolvedConfig,
    @inject(Ids.Logger) readonly logger: Logger,
    @inject(Ids.State) readonly state: State,
    @inject(Ids.Ingestor) readonly ingestor: Ingestor,
    @inject(Ids.Receiver) readonly receiver: Receiver,
    /** One shutter engine per camera (`engine.camera` is the camera itself). */
    @inject(Ids.Cameras) readonly cameras: ShutterEngine[],
    @inject(Ids.Timer) readonly timer: Timer,
    @inject(Ids.Checkpointer) @optional() checkpointer: Checkpointer | undefined,
    @inject(Ids.HttpServer) @optional() http: HttpServer | undefined,
    @multiInject(Ids.KernelService) @optional() services: KernelService[] | undefined,
  ) {
    this.checkpointer = checkpointer ?? null;
    this.http = http ?? null;
    this.services = services ?? [];
  }

  /**
   * Restore the checkpoint, serve /healthz, install every camera (by
   * cameraStartPolicy), then start receiving.
   */
  async start(options: StartOptions = {}): Promise<void> {
    this.retryCameraStart = options.retryCameraStart !== false;
    this.checkpointer?.restore();
    await this.http?.start();
    try {
      for (const camera of this.cameras) await this.installCamera(camera, 1);
    } catch (err) {
      // Not starting after all: every camera gets its onClose (the installed ones after a final shutter).
      this.stopped = true;
      for (const cancel of this.retryTimers) cancel();
      await Promise.all(this.cameras.map((camera) => camera.cancel().catch(() => {})));
      await this.http?.close();
      throw err;
    }
    try {
      if (options.receive !== false) await this.receiver.start();
      for (const service of this.services) {
        await service.start();
        this.started.push(service);
      }
    } catch (err) {
      await this.stopServices();
      await this.http?.close();
      throw err;
    }
    this.scheduleCheckpoints();
  }

  /** Resolves once `limit` events were folded (Celery's capture(limit=N)); never without a limit. */
  limitReached(limit: number | undefined = this.config.limit): Promise<'limit'> {
    return new Promise((resolve) => {
      if (limit === undefined) return;
      this.ingestor.onFold = (folded) => {
        if (folded >= limit) {
          this.ingestor.onFold = null;
          resolve('limit');
        }
      };
    });
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
      if (!retryable || this.config.cameraStartPolicy === 'exit' || !this.retryCameraStart) {
        // Say which camera: with several, the camera's own message may not.
        const why = EvcamError.is(err) && err.message.includes(camera.source) ? err.message : (err as Error)?.message ?? String(err);
        const hint = !retryable ? ''
          : !this.retryCameraStart ? '; not retrying here: start the backend, then run this again'
          : ' (cameraStartPolicy is "exit"; "retry" would wait for the backend)';
        throw new EvcamError(EvcamError.is(err) ? err.code : ErrorCodes.CAMERA_START,
          `camera "${camera.source}" failed to start: ${why}${hint}`, { cause: err, retryable });
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
    await this.stopServices();
    await this.http?.close();
  }

  private async stopServices(): Promise<void> {
    for (const service of this.started.splice(0).reverse()) {
      await service.stop().catch((err: unknown) => this.logger.warn({ err, service: service.name }, 'stopping a kernel service failed'));
    }
  }
}
