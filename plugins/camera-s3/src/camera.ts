import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { resolve } from 'node:path';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { Polaroid, type CameraContext, type ShutterContext, type Snapshot, type TaskSnapshot, type WorkerSnapshot } from '@evcam/camera-api';
import { createS3Client, putObjectWith } from './client.js';
import { deltaDocument, type DeltaIds } from './documents.js';
import { historyKey, latestKey } from './layout.js';
import { optionsSchema, redactOptions, type S3CameraOptions } from './options.js';
import { deleteExpiredHistory } from './retention.js';
import type { S3Object } from './s3-object.js';
import { SeqCounter } from './seq-counter.js';
import { Spool } from './spool.js';
import { startError } from './start-errors.js';
import { Uploader, type UploaderStats } from './uploader.js';

const gzip = promisify(gzipCallback);
const JSON_TYPE = 'application/json';

export interface S3CameraStats extends UploaderStats {
  /** History objects dropped because the spool was full. */
  dropped: number;
  spoolObjects: number;
  spoolBytes: number;
  fullObjects: number;
  deltaObjects: number;
}

/**
 * Stores each snapshot in S3: a history object under a time-ordered key and
 * `latest.json` (the newest full snapshot). While S3 is down, snapshots wait in a
 * bounded local spool and are uploaded in order when it answers again.
 */
export class S3Camera extends Polaroid<S3CameraOptions> {
  static override readonly cameraName = 's3';
  static override readonly optionsSchema = optionsSchema;

  /** The SDK client (exposed for tests and for adding middleware, e.g. tracing). */
  readonly client: S3Client;
  readonly spoolDir: string;
  private spool: Spool | null = null;
  private uploader: Uploader | null = null;
  private seqs: SeqCounter | null = null;
  private counts = { full: 0, delta: 0 };
  // Delta mode: the State of the previous history object, kept from changed/removed (task dicts are
  // immutable, so these are pointers, not copies), and the full object the chain starts from.
  private held: Map<string, TaskSnapshot> | null = null;
  private heldWorkers: Set<string> | null = null;
  /** The last stored snapshot without its tasks: with `held`, the final full latest.json at close. */
  private lastHeader: { doc: Omit<Snapshot, 'tasks'>; seq: number; key: string } | null = null;
  private base: { seq: number; key: string } | null = null;
  private sinceFull = 0;
  /** Delta bytes since the last full object, and that object's size (the fullFraction rule). */
  private deltaBytes = 0;
  private fullBytes = 0;
  /** Set when the spool dropped objects: a delta chain is broken, so the next object is full. */
  private forceFull = false;

  constructor(ctx: CameraContext<S3CameraOptions>) {
    super(ctx);
    this.client = createS3Client(this.options);
    this.spoolDir = resolve(this.configDir, this.options.spoolDir ?? `.evcam-spool/s3-${this.options.bucket}`);
  }

  /** Where the bucket lives, for messages. */
  get where(): string {
    return this.options.endpoint ?? `AWS S3${this.options.region ? ` (${this.options.region})` : ''}`;
  }

  get stats(): S3CameraStats {
    const spool = this.spool;
    return {
      ...(this.uploader?.stats ?? { uploaded: 0, spooled: 0, drained: 0, drainFailures: 0 }),
      dropped: spool?.dropped ?? 0, spoolObjects: spool?.length ?? 0, spoolBytes: spool?.bytes ?? 0,
      fullObjects: this.counts.full, deltaObjects: this.counts.delta,
    };
  }

  override async onInstall(): Promise<void> {
    const o = this.options;
    this.logger.info({ camera: this.name, options: redactOptions(o), spoolDir: this.spoolDir }, 'S3 camera starting');
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: o.bucket }), { abortSignal: AbortSignal.timeout(o.requestTimeout * 1000) });
    } catch (err) {
      throw startError(err, o.bucket, this.where);
    }
    this.spool = await Spool.open(this.spoolDir, o.spoolMaxBytes, this.logger);
    this.seqs = await SeqCounter.open(this.spoolDir);
    this.seqs.raiseTo(this.spool.maxSeq);
    this.uploader = new Uploader({
      spool: this.spool,
      put: putObjectWith(this.client, o.bucket, o.requestTimeout),
      timer: this.host.timer,
      logger: this.logger,
      maxBackoff: o.maxBackoff,
      onDropped: () => { this.forceFull = true; },
    });
    this.uploader.start();
  }

  /**
   * Without `delta`, every shutter stores the whole snapshot (history object and latest.json:
   * O(tasks held)). With `delta`, a shutter reads only `changed` and `removed` (O(changed)),
   * except for a full object every `fullEvery` shutters, when the deltas since the last one
   * outgrow `fullFraction` of it, or after a spool drop; latest.json is written with the full
   * objects, and at close from the State the deltas built (see README, "Layout").
   */
  override async onShutter(snapshot: Snapshot, { signal }: ShutterContext): Promise<void> {
    const { uploader, seqs } = this.ready();
    const o = this.options;
    const seq = await seqs.take();
    const key = historyKey(o.prefix, seq, snapshot.taken_at, o.gzip);
    const ids = o.delta ? this.deltaIds(snapshot) : null;
    const isFull = ids === null || this.forceFull || this.held === null || this.base === null
      || this.sinceFull + 1 >= o.fullEvery || this.deltaBytes > o.fullFraction * this.fullBytes;
    // Full: serialised once, latest.json and the history object share it (the one O(tasks) read).
    const historyJson = isFull ? JSON.stringify(snapshot) : JSON.stringify(deltaDocument(snapshot, ids!, this.base!));
    const history: S3Object = {
      key,
      body: o.gzip ? await gzip(historyJson) : Buffer.from(historyJson),
      contentType: JSON_TYPE,
      contentEncoding: o.gzip ? 'gzip' : undefined,
      metadata: { 'evcam-kind': isFull ? 'full' : 'delta', 'evcam-seq': String(seq) },
    };
    await uploader.submit(seq, history, isFull ? this.latestObject(historyJson, seq, key) : null, signal);
    if (isFull) {
      this.counts.full++;
      this.forceFull = false;
      this.base = { seq, key };
      this.sinceFull = 0;
      this.deltaBytes = 0;
      this.fullBytes = history.body.length;
    } else {
      this.counts.delta++;
      this.sinceFull++;
      this.deltaBytes += history.body.length;
    }
    if (ids !== null) this.remember(snapshot, ids, seq, key);
  }

  /** changed/removed of a delta, from the kernel's lists; a hand-made snapshot without `removed` is diffed against `held`. */
  private deltaIds(snapshot: Snapshot): DeltaIds {
    const removed = snapshot.removed;
    let removedTasks: string[];
    let removedWorkers: string[];
    if (removed !== undefined) {
      ({ tasks: removedTasks, workers: removedWorkers } = removed);
    } else {
      removedTasks = [];
      if (this.held !== null) for (const id of this.held.keys()) if (snapshot.tasks[id] === undefined) removedTasks.push(id);
      removedWorkers = [...(this.heldWorkers ?? [])].filter((h) => !Object.hasOwn(snapshot.workers, h));
    }
    return { tasks: snapshot.changed.tasks, workers: snapshot.changed.workers, removedTasks, removedWorkers };
  }

  /** The stored snapshot's State, for the next delta's fallback and the final latest.json. */
  private remember(snapshot: Snapshot, ids: DeltaIds, seq: number, key: string): void {
    const held = (this.held ??= new Map());
    for (const id of ids.removedTasks) held.delete(id);
    for (const id of ids.tasks) {
      const task = snapshot.tasks[id];
      if (task === undefined) held.delete(id); else held.set(id, task);
    }
    this.heldWorkers = new Set(Object.keys(snapshot.workers));
    const { tasks: _tasks, ...doc } = snapshot;
    this.lastHeader = { doc: { ...doc, workers: JSON.parse(JSON.stringify(snapshot.workers)) as Record<string, WorkerSnapshot> }, seq, key };
  }

  private latestObject(json: string, seq: number, historyKeyOfIt: string): S3Object {
    return {
      key: latestKey(this.options.prefix), body: Buffer.from(json), contentType: JSON_TYPE,
      // Readers polling latest.json through a CDN or browser must not get a stale copy.
      cacheControl: 'no-cache', metadata: { 'evcam-seq': String(seq), 'evcam-history-key': historyKeyOfIt },
    };
  }

  /** Delta mode, deltas since the last full object: latest.json becomes the whole State of the last shutter. */
  private async writeFinalLatest(): Promise<void> {
    const { held, lastHeader, uploader } = this;
    if (!this.options.delta || this.sinceFull === 0 || held === null || lastHeader === null || uploader === null) return;
    const json = JSON.stringify({ ...lastHeader.doc, tasks: Object.fromEntries(held) });
    try {
      await uploader.submitLatest(this.latestObject(json, lastHeader.seq, lastHeader.key));
    } catch (err) {
      this.logger.error({ err, camera: this.name }, 'S3 camera: the final full latest.json could not be stored or spooled');
    }
  }

  override async onCleanup(): Promise<void> {
    const { retention, bucket, prefix } = this.options;
    if (retention === undefined) return;
    const cutoff = this.host.clock.now() - retention;
    const { deleted, failed } = await deleteExpiredHistory(this.client, bucket, prefix, cutoff, this.logger);
    this.logger.info({ camera: this.name, bucket, prefix, deleted, failed, olderThanSecs: retention }, 'S3 retention: expired history deleted');
  }

  override async onClose(): Promise<void> {
    await this.writeFinalLatest();
    await this.uploader?.close(this.options.closeTimeout);
    this.client.destroy();
  }

  /** Resolves when the spool is empty and nothing is uploading (for tests and graceful shutdown). */
  async flushed(): Promise<void> {
    await this.uploader?.idle();
  }

  private ready(): { uploader: Uploader; seqs: SeqCounter } {
    if (!this.uploader || !this.seqs) throw new Error('S3 camera: onShutter before onInstall');
    return { uploader: this.uploader, seqs: this.seqs };
  }
}
