import { randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { access, copyFile, link, mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { EvcamError, ErrorCodes, Polaroid, taskIds, type Snapshot, type ShutterContext } from '@evcam/camera-api';
import { deltaSlices } from './deltas.js';
import { deltasName, historyName, listGroups, stemOf } from './layout.js';
import { fileCameraOptions, type FileCameraOptions } from './options.js';
import { rebuildState } from './rebuild.js';
import { snapshotJsonSlices } from './snapshot-json.js';

export { historyName } from './layout.js';

/** The keyframe being extended with deltas. */
interface Group {
  stem: string;
  keyframeBytes: number;
  /** Tasks in the keyframe and its task_count: with the removals since, they estimate the State's size now. */
  keyframeTasks: number;
  keyframeTaskCount: number;
  removedSince: number;
  deltaBytes: number;
  /** Delta bytes that a keyframe now would not hold: rewrites of tasks already stored, and removals. */
  staleBytes: number;
  /** Shutters stored as deltas since the keyframe. */
  deltas: number;
  deltaPath: string;
  /** Open for appending from the first delta on; `committed` bytes end with a whole shutter. */
  handle: FileHandle | null;
  committed: number;
}

/** The size a keyframe would have now: the last one's bytes per task times the tasks held now (estimated). */
function estimatedBytes(g: Group, snapshot: Snapshot): number {
  const tasks = Math.max(1, g.keyframeTasks + Math.max(0, snapshot.task_count - g.keyframeTaskCount) - g.removedSince);
  return Math.max(g.keyframeBytes, (g.keyframeBytes / Math.max(1, g.keyframeTasks)) * tasks);
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new EvcamError(ErrorCodes.CAMERA_SHUTTER, 'file camera: the shutter was abandoned (shutterTimeout)');
}

/**
 * Keyframes plus deltas in `dir`: a shutter appends its changed and removed
 * records to the current delta file (JSON Lines); a whole snapshot (a keyframe,
 * also copied to latest.json) is written at the first shutter, when the deltas
 * outgrow keyframeFraction of the keyframe, every keyframeEvery shutters and at
 * the final shutter. rebuildState(dir, seq) gives the State at any stored seq.
 * Writes never overlap (a shutter abandoned on timeout is waited for) and every
 * file is written under a unique temporary name, then renamed into place.
 */
export class FileCamera extends Polaroid<FileCameraOptions> {
  static override readonly cameraName = 'file';
  static override readonly optionsSchema = fileCameraOptions;

  private dir = '';
  private group: Group | null = null;
  /** The write in progress (or abandoned and still unwinding): the next one waits for it. */
  private writing: Promise<unknown> = Promise.resolve();
  private tmpCount = 0;
  /** task_count of the last stored shutter. */
  private lastTaskCount = 0;

  override async onInstall(): Promise<void> {
    this.dir = resolve(this.configDir, this.options.dir);
    try {
      await mkdir(this.dir, { recursive: true });
      const info = await stat(this.dir);
      if (!info.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      await access(this.dir, constants.W_OK);
    } catch (err) {
      throw new EvcamError(ErrorCodes.CAMERA_START,
        `file camera: cannot write snapshots into ${this.dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
        'set the camera option dir to a writable directory.', { cause: err, retryable: false });
    }
  }

  override onShutter(snapshot: Snapshot, ctx?: ShutterContext): Promise<void> {
    const signal = ctx?.signal ?? new AbortController().signal;
    const run = this.writing.then(() => this.store(snapshot, signal, ctx?.final === true));
    this.writing = run.catch(() => {});
    return run;
  }

  override async onCleanup(): Promise<void> {
    await this.writing;
    await this.prune();
  }

  /**
   * After the final shutter: if deltas still follow the newest keyframe (the final shutter
   * was not stored, or a kernel without `final` drove the camera), write the State they
   * rebuild as a keyframe, so latest.json is the whole final State.
   */
  override async onClose(): Promise<void> {
    await this.writing;
    await this.closeGroup();
    if (this.group === null || this.group.deltas === 0) return;
    try {
      await this.writeKeyframe(await rebuildState(this.dir), new AbortController().signal);
      await this.closeGroup();
    } catch (err) {
      this.logger.error({ err, dir: this.dir }, 'could not write the final keyframe; latest.json is the previous one (rebuildState still gives the final State)');
    }
  }

  /** The final shutter is always a keyframe, so latest.json is then the whole State. */
  private async store(snapshot: Snapshot, signal: AbortSignal, final: boolean): Promise<void> {
    if (signal.aborted) throw abortError(signal);
    const g = this.group;
    const keyframe = g === null || final || g.deltas >= this.options.keyframeEvery ||
      g.staleBytes > this.options.keyframeFraction * estimatedBytes(g, snapshot);
    if (keyframe) await this.writeKeyframe(snapshot, signal);
    else await this.appendDelta(g, snapshot, signal);
    this.lastTaskCount = snapshot.task_count;
  }

  /** The whole snapshot into latest.json and the keyframe file; a new group starts. O(tasks held). */
  private async writeKeyframe(snapshot: Snapshot, signal: AbortSignal): Promise<void> {
    const latestTmp = this.tmpPath('latest.json');
    const written: string[] = [latestTmp];
    const stem = stemOf(snapshot);
    let bytes = 0;
    try {
      // Written slice by slice as it is serialised (see snapshot-json.ts), never as one text in memory.
      const json = this.options.pretty ? [JSON.stringify(snapshot, null, 1)] : snapshotJsonSlices(snapshot);
      const counted = async function* (): AsyncGenerator<string> {
        for await (const slice of json) { bytes += Buffer.byteLength(slice); yield slice; }
      };
      await pipeline(Readable.from(counted()), createWriteStream(latestTmp), { signal });
      const gz = this.options.gzip;
      const name = historyName(snapshot, gz);
      const historyTmp = this.tmpPath(name);
      written.push(historyTmp);
      if (gz) await pipeline(createReadStream(latestTmp), createGzip(), createWriteStream(historyTmp), { signal });
      else await link(latestTmp, historyTmp).catch(() => copyFile(latestTmp, historyTmp)); // same bytes: a hard link when it can
      if (signal.aborted) throw abortError(signal);
      await rename(historyTmp, join(this.dir, name));
      await rename(latestTmp, join(this.dir, 'latest.json'));
    } catch (err) {
      await Promise.all(written.map((tmp) => unlink(tmp).catch(() => {})));
      throw err;
    }
    const previous = this.group;
    this.group = {
      stem, keyframeBytes: bytes, keyframeTasks: taskIds(snapshot.tasks).length, keyframeTaskCount: snapshot.task_count,
      removedSince: 0, deltaBytes: 0, staleBytes: 0, deltas: 0, deltaPath: join(this.dir, deltasName(stem, false)), handle: null, committed: 0,
    };
    if (previous !== null) await this.finishGroup(previous);
    await this.prune();
  }

  /** The changed and removed records of one shutter, appended to the group's delta file. O(changed). */
  private async appendDelta(g: Group, snapshot: Snapshot, signal: AbortSignal): Promise<void> {
    g.handle ??= await open(g.deltaPath, 'a');
    let bytes = 0;
    try {
      for (const slice of deltaSlices(snapshot)) {
        if (signal.aborted) throw abortError(signal);
        bytes += (await g.handle.write(slice, null, 'utf8')).bytesWritten;
        await nextTurn();
      }
    } catch (err) {
      // Half a shutter must not stay in front of the next one: cut the file back to the last whole shutter.
      await g.handle.truncate(g.committed).catch(() => {});
      throw err;
    }
    g.committed += bytes;
    g.deltaBytes += bytes;
    g.deltas++;
    // Tasks new since the last stored shutter (task-received events) are not stale; the rest of
    // the changed records rewrite a task stored before, and every removal is stale.
    const changed = snapshot.changed.tasks.length;
    const removed = snapshot.removed?.tasks.length ?? 0;
    const fresh = Math.min(changed, Math.max(0, snapshot.task_count - this.lastTaskCount));
    g.removedSince += removed;
    g.staleBytes += changed + removed === 0 ? 0 : bytes * ((changed - fresh + removed) / (changed + removed));
  }

  /** A group no longer written to: close its delta file and, with gzip, compress it. */
  private async finishGroup(g: Group): Promise<void> {
    if (g.handle === null) return;
    await g.handle.close().catch(() => {});
    g.handle = null;
    if (!this.options.gzip) return;
    const gzPath = join(this.dir, deltasName(g.stem, true));
    const tmp = this.tmpPath(deltasName(g.stem, true));
    try {
      await pipeline(createReadStream(g.deltaPath), createGzip(), createWriteStream(tmp));
      await rename(tmp, gzPath);
      await unlink(g.deltaPath);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      this.logger.warn({ err, file: g.deltaPath }, 'could not gzip a finished delta file; it stays plain');
    }
  }

  private async closeGroup(): Promise<void> {
    if (this.group?.handle) await this.group.handle.close().catch(() => {});
    if (this.group) this.group.handle = null;
  }

  /** A unique temporary name per write: an abandoned write and its successor never share a file. */
  private tmpPath(name: string): string {
    return join(this.dir, `.${name}.${process.pid}.${++this.tmpCount}.${randomBytes(4).toString('hex')}.tmp`);
  }

  /** Keep the newest `keep` keyframes with their deltas (history: false keeps only the current one). */
  private async prune(): Promise<void> {
    const keep = this.options.history ? this.options.keep : 1;
    if (keep === 0) return;
    const groups = await listGroups(this.dir);
    for (const old of groups.slice(0, Math.max(0, groups.length - keep))) {
      if (old.stem === this.group?.stem) continue;
      for (const f of [old.keyframe, ...old.deltas]) await unlink(join(this.dir, f)).catch(() => {});
    }
  }
}
