import { Polaroid, type CameraContext, type FoldedEvent } from '@evcam/camera-api';
import { ClusterMetrics } from './metrics.js';
import { prometheusCameraOptions, type PrometheusCameraOptions } from './options.js';
import { serveMetrics, type MetricsServer } from './server.js';

/**
 * Celery cluster metrics for Prometheus (celery-exporter's families and labels, plus
 * queue wait, stuck tasks, oldest waiting task and event-loss accounting).
 *
 * Counters come from onEvent, one event at a time, so they equal the number of events
 * of each type in the stream whatever happens to snapshots (superseded, evicted from the
 * State's LRU, cleared). They live as long as the process, like every Prometheus
 * counter: a kernel restart (even one that restores a checkpoint) starts them at 0,
 * which Prometheus' rate() and increase() treat as a counter reset.
 * Each shutter only refreshes queue depths and purges workers gone for good.
 */
export class PrometheusCamera extends Polaroid<PrometheusCameraOptions> {
  static override readonly cameraName = 'prometheus';
  static override readonly optionsSchema = prometheusCameraOptions;

  readonly metrics: ClusterMetrics;
  private server: MetricsServer | null = null;
  private refreshing = false;

  constructor(ctx: CameraContext<PrometheusCameraOptions>) {
    super(ctx);
    this.metrics = new ClusterMetrics(this.options, this.logger, () => this.host.clock.now());
  }

  /** The port the metrics are served on (the chosen one with port 0); null before install. */
  get port(): number | null {
    return this.server?.port ?? null;
  }

  override onEvent(event: FoldedEvent): void {
    this.metrics.onEvent(event);
  }

  override async onInstall(): Promise<void> {
    const { host, port, path } = this.options;
    this.server = await serveMetrics(host, port, {
      path,
      metrics: () => this.metrics.render(this.host.clock.now()),
      health: () => this.healthDetails(),
    }, this.logger);
    this.logger.info({ host, port: this.server.port, path }, 'serving Celery cluster metrics for Prometheus');
  }

  override async onShutter(): Promise<void> {
    const gone = this.metrics.purgeGoneWorkers(this.host.clock.now());
    if (gone.length > 0) this.logger.info({ hostnames: gone }, 'removed the series of workers gone longer than purgeOfflineWorkerMetrics');
    await this.refreshQueueDepths();
  }

  /** celery_queue_length: the kernel asks the broker (cameras speak no broker protocol). */
  private async refreshQueueDepths(): Promise<void> {
    const ask = this.host.queueDepths;
    if (ask === undefined || this.refreshing) return;
    this.refreshing = true;
    try {
      this.metrics.queueDepths = await ask.call(this.host, this.metrics.knownQueues());
    } catch (err) {
      this.logger.warn({ err }, 'could not read queue depths from the broker; celery_queue_length keeps its last values');
    } finally {
      this.refreshing = false;
    }
  }

  /** Loss accounting, for /healthz. */
  override healthDetails(): Record<string, unknown> {
    const loss = this.metrics.loss();
    return {
      status: loss.missing > 0 ? 'degraded' : 'ok',
      eventsMissing: loss.missing,
      eventsExpected: loss.expected,
      eventsMissingRatio: loss.ratio,
      workersMissingEvents: loss.workers,
      trackedTasks: this.metrics.tasks.size,
      series: this.metrics.series.length,
    };
  }

  override async onClose(): Promise<void> {
    await this.server?.close();
    this.server = null;
  }
}
