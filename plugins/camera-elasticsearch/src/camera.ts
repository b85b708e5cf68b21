import type { Client } from '@elastic/elasticsearch';
import { EvcamError, ErrorCodes, Polaroid, type CameraContext, type ShutterContext, type Snapshot } from '@evcam/camera-api';
import { BulkWriter } from './bulk-writer.js';
import { createClient, type ClientOptions } from './client.js';
import { bulkEntry, summaryId, summarySource, taskSource, workerSource } from './documents.js';
import { adviceFor, describeEsError, isRetryableEsError } from './es-errors.js';
import { buildTemplates, indexNames, type IndexNames } from './mappings.js';
import { optionsSchema, redactOptions, redactUrl, type ElasticsearchCameraOptions } from './options.js';
import { PendingBuffer } from './pending-buffer.js';
import { StateCounts } from './state-counts.js';
import { retentionRequests } from './retention.js';
import { installTemplates } from './templates.js';

/** Seconds between two "buffer full, dropped N" warnings. */
const DROP_LOG_INTERVAL = 10;

/**
 * Indexes Celery task and worker state into Elasticsearch: `<prefix>-tasks`
 * (_id = uuid), `<prefix>-workers` (_id = hostname) and one summary per shutter
 * in `<prefix>-snapshots`.
 *
 * Every shutter merges the changed documents into a bounded pending buffer and
 * then flushes it. While Elasticsearch is down onShutter fails fast (request
 * timeout, abort signal) with the documents kept in the buffer, so the kernel's
 * health shows the outage and its capped backoff paces the retries.
 */
export class ElasticsearchCamera extends Polaroid<ElasticsearchCameraOptions> {
  static override readonly cameraName = 'elasticsearch';
  static override readonly optionsSchema = optionsSchema;

  readonly indices: IndexNames;
  /** Tasks and workers waiting to be stored. */
  readonly pendingDocs: PendingBuffer;
  /** Per-shutter summaries waiting to be stored (capped apart, so an outage's summaries never push tasks out). */
  readonly pendingSummaries: PendingBuffer;
  readonly writer: BulkWriter;
  protected readonly client: Client;

  private lastMergedSeq = -1;
  /** `alive` as last written per worker: a worker can die without an event, so changed alone misses it. */
  private readonly writtenAlive = new Map<string, boolean>();
  private lastDropLog = -Infinity;
  /** Tasks by state for the summaries, kept from changed/removed (a scan would cost O(tasks held) per shutter). */
  private readonly counts = new StateCounts();

  /** `clientOptions` is for tests (the mock's Connection); the kernel passes only ctx. */
  constructor(ctx: CameraContext<ElasticsearchCameraOptions>, clientOptions: Partial<ClientOptions> = {}) {
    super(ctx);
    const o = this.options;
    this.indices = indexNames(o.indexPrefix);
    this.client = createClient(o, this.configDir, clientOptions);
    this.pendingDocs = new PendingBuffer(o.maxPending);
    this.pendingSummaries = new PendingBuffer(o.maxPendingSummaries);
    this.writer = new BulkWriter(this.client, [this.pendingDocs, this.pendingSummaries], {
      flushBytes: o.flushBytes, refresh: o.refresh, itemRetries: o.itemRetries, itemRetryMaxDelay: o.itemRetryMaxDelay,
    }, this.logger);
  }

  override async onInstall(): Promise<void> {
    const o = this.options;
    this.logger.info({ options: redactOptions(o) }, 'Elasticsearch camera starting');
    try {
      const info = await this.client.info();
      const major = Number(info.version.number.split('.')[0]);
      if (major < 8) {
        throw new EvcamError(ErrorCodes.CAMERA_START,
          `Elasticsearch ${info.version.number} at ${this.where()} is not supported: use an 8.x or 9.x cluster`);
      }
      if (o.ilmPolicy) await this.checkIlmPolicy(o.ilmPolicy);
      if (o.installTemplates) {
        const { written, upToDate } = await installTemplates(this.client, buildTemplates(o.indexPrefix, o.ilmPolicy));
        this.logger.info({ written, upToDate, server: info.version.number }, 'Elasticsearch index templates ready');
      }
    } catch (err) {
      if (EvcamError.is(err)) throw err;
      // No `cause`: the client's error carries the request headers (Authorization).
      throw new EvcamError(ErrorCodes.CAMERA_START,
        `cannot start the Elasticsearch camera at ${this.where()}: ${adviceFor(err)} (${describeEsError(err).reason})`,
        { retryable: isRetryableEsError(err) });
    }
  }

  override async onShutter(snapshot: Snapshot, { signal }: ShutterContext): Promise<void> {
    // A retry of the same snapshot has nothing new to merge.
    if (snapshot.seq !== this.lastMergedSeq) {
      this.merge(snapshot);
      this.lastMergedSeq = snapshot.seq;
    }
    let result;
    try {
      result = await this.writer.flush(signal);
    } catch (err) {
      const { reason } = describeEsError(err);
      throw new EvcamError(ErrorCodes.CAMERA_SHUTTER,
        `Elasticsearch at ${this.where()} did not take the bulk request: ${adviceFor(err)} (${reason}); ` +
        `${this.writer.pending} documents stay buffered (newest state per id) and are sent when it answers`,
        { retryable: true });
    }
    this.logger.debug({ seq: snapshot.seq, ...result, pending: this.writer.pending }, 'Elasticsearch bulk done');
    if (result.deferred > 0) {
      throw new EvcamError(ErrorCodes.CAMERA_SHUTTER,
        `Elasticsearch kept answering 429/5xx for ${result.deferred} documents; they stay buffered and are retried with backoff`,
        { retryable: true });
    }
    this.counts.stored();
  }

  override async onCleanup(): Promise<void> {
    const retention = this.options.retention;
    if (!retention) return;
    for (const { index, query } of retentionRequests(this.indices, retention, this.host.clock.now())) {
      try {
        // In the background (Leek PR #55: delete-by-query can take hours on big indices).
        const response = await this.client.deleteByQuery({
          index, query, conflicts: 'proceed', wait_for_completion: false, ignore_unavailable: true, allow_no_indices: true,
        });
        this.logger.info({ index, task: response.task }, 'Elasticsearch retention: delete-by-query started');
      } catch (err) {
        throw new EvcamError(ErrorCodes.CAMERA_CLEANUP,
          `Elasticsearch retention on ${index} failed: ${adviceFor(err)} (${describeEsError(err).reason}); it runs again at the next cleanup`,
          { retryable: isRetryableEsError(err) });
      }
    }
  }

  override async onClose(): Promise<void> {
    const left = this.writer.pending;
    if (left > 0) {
      this.logger.error({ pending: left, dropped: this.pendingDocs.dropped },
        'Elasticsearch camera closed with documents not stored (Elasticsearch was unavailable at shutdown)');
    }
    await this.client.close();
  }

  /** Put the snapshot's changes into the pending buffers, newest state per id. */
  private merge(snapshot: Snapshot): void {
    const at = { seq: snapshot.seq, taken_at: snapshot.taken_at };
    let dropped = 0;
    for (const uuid of snapshot.changed.tasks) {
      const task = snapshot.tasks[uuid];
      if (task) dropped += this.pendingDocs.put(bulkEntry(this.indices.tasks, uuid, taskSource(task, at)));
    }
    const workers = new Set(snapshot.changed.workers);
    for (const hostname in snapshot.workers) {
      if (this.writtenAlive.get(hostname) !== snapshot.workers[hostname].alive) workers.add(hostname);
    }
    for (const hostname of this.writtenAlive.keys()) {
      if (!(hostname in snapshot.workers)) this.writtenAlive.delete(hostname);
    }
    for (const hostname of workers) {
      const worker = snapshot.workers[hostname];
      if (!worker) continue;
      dropped += this.pendingDocs.put(bulkEntry(this.indices.workers, hostname, workerSource(worker, at)));
      this.writtenAlive.set(hostname, worker.alive);
    }
    this.counts.apply(snapshot);
    const counts = { total: this.counts.total, byState: this.counts.toObject() };
    dropped += this.pendingSummaries.put(bulkEntry(this.indices.snapshots, summaryId(snapshot), summarySource(snapshot, counts)));
    if (dropped > 0) this.noteDropped();
  }

  private noteDropped(): void {
    const now = this.host.clock.now();
    if (now - this.lastDropLog < DROP_LOG_INTERVAL) return;
    this.lastDropLog = now;
    this.logger.error({ droppedDocs: this.pendingDocs.dropped, droppedSummaries: this.pendingSummaries.dropped,
      maxPending: this.options.maxPending }, 'Elasticsearch pending buffer full: the least recently changed documents were dropped; raise maxPending or fix the cluster');
  }

  private async checkIlmPolicy(name: string): Promise<void> {
    try {
      await this.client.ilm.getLifecycle({ name });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) {
        throw new EvcamError(ErrorCodes.CAMERA_START,
          `ILM policy "${name}" does not exist in ${this.where()}: create it (Kibana → Index Lifecycle Policies) or remove ilmPolicy`);
      }
      throw err;
    }
  }

  /** The cluster, as it may be logged. */
  private where(): string {
    const o = this.options;
    if (o.cloud) return 'Elastic Cloud deployment (cloud.id)';
    return redactUrl((o.nodes ?? [o.node]).join(', '));
  }
}
