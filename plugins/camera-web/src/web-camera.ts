import { EvcamError, ErrorCodes, Polaroid, type Snapshot } from '@evcam/camera-api';
import { Authenticator } from './auth.js';
import { openHistory } from './history/open.js';
import type { HistoryStore } from './history/store.js';
import { optionsSchema, type WebCameraOptions } from './options.js';
import { Dashboard } from './server.js';
import { loadStaticFiles } from './static-files.js';
import { TaskIndex } from './task-index.js';

/**
 * `--camera web`: a live, read-only dashboard of the cluster (Flower's pages without its
 * control actions), fed by shutters, with the SQL cameras' database as its memory of
 * tasks the State no longer holds.
 */
export class WebCamera extends Polaroid<WebCameraOptions> {
  static override readonly cameraName = 'web';
  static override readonly optionsSchema = optionsSchema;

  readonly index: TaskIndex;
  private dashboard: Dashboard | null = null;
  private history: HistoryStore | null = null;
  /** The dashboard's address once installed. */
  url: string | null = null;
  /** Milliseconds the last onShutter spent on its own indexes (what the bench reports). */
  lastShutterMs = 0;

  constructor(...args: ConstructorParameters<typeof Polaroid<WebCameraOptions>>) {
    super(...args);
    const o = this.options;
    this.index = new TaskIndex({ recentPerWorker: o.recentPerWorker, runtimeSamples: o.runtimeSamples, maxTaskNames: o.maxTaskNames });
  }

  override async onInstall(): Promise<void> {
    const o = this.options;
    if (o.history !== undefined) this.history = await openHistory(o.history, o.historySchema, this.configDir);
    const dashboard = new Dashboard({
      index: this.index, history: this.history, auth: new Authenticator({ token: o.token, users: o.users }),
      files: loadStaticFiles(), logger: this.logger, now: () => this.host.clock.now(), host: o.host,
      maxStreams: o.maxStreams, keepAliveSecs: o.keepAlive, logRequests: o.logRequests,
    });
    try {
      this.url = await dashboard.listen(o.port);
    } catch (err) {
      await this.history?.close();
      const code = (err as NodeJS.ErrnoException).code;
      throw new EvcamError(ErrorCodes.CAMERA_START,
        code === 'EADDRINUSE' ? `port ${o.port} on ${o.host} is in use: pick another port (port=0 picks a free one)`
          : `cannot listen on ${o.host}:${o.port} (${(err as Error).message}): check the host option`,
        { cause: err, retryable: false });
    }
    this.dashboard = dashboard;
    this.logger.info({ url: this.url, auth: o.token ? 'token' : o.users ? 'basic' : 'none', history: this.history !== null },
      'dashboard listening');
    process.stdout.write(`-> evcam: dashboard at ${this.url}\n`);
  }

  override onShutter(snapshot: Snapshot): void {
    const started = performance.now();
    this.index.apply(snapshot);
    this.lastShutterMs = performance.now() - started;
    this.dashboard?.broadcast({
      seq: snapshot.seq, takenAt: snapshot.taken_at, changed: snapshot.changed.tasks.length, removed: snapshot.removed?.tasks.length ?? 0,
    });
  }

  override async onClose(): Promise<void> {
    await this.dashboard?.close();
    this.dashboard = null;
    await this.history?.close();
    this.history = null;
  }
}
