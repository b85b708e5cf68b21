import { constants, createReadStream, createWriteStream } from 'node:fs';
import { access, copyFile, mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { EvcamError, ErrorCodes, Polaroid, type Snapshot } from '@evcam/camera-api';
import { fileCameraOptions, type FileCameraOptions } from './options.js';
import { snapshotJsonSlices } from './snapshot-json.js';

/**
 * History files are named <ISO time>-<seq>.json[.gz], so names sort by time across
 * restarts. The name comes from numbers only, never from event content.
 */
const HISTORY = /^\d{4}-\d{2}-\d{2}T[0-9.-]+Z-\d{12}\.json(\.gz)?$/;

export function historyName(snapshot: Snapshot, gzipped: boolean): string {
  const iso = new Date(snapshot.taken_at * 1000).toISOString().replace(/:/g, '-');
  return `${iso}-${String(snapshot.seq).padStart(12, '0')}.json${gzipped ? '.gz' : ''}`;
}

/**
 * Writes each snapshot as-is into `dir`, atomically (temporary file + rename):
 * one history file per shutter plus latest.json holding the newest.
 */
export class FileCamera extends Polaroid<FileCameraOptions> {
  static override readonly cameraName = 'file';
  static override readonly optionsSchema = fileCameraOptions;

  private dir = '';

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

  override async onShutter(snapshot: Snapshot): Promise<void> {
    // latest.json is written slice by slice as it is serialised (see snapshot-json.ts): a
    // 10k-task snapshot never stalls ingestion and never sits in memory as one 9 MB text.
    // The history file is then made from it on disk, not from memory.
    const latestTmp = this.tmpPath('latest.json');
    const written: string[] = [latestTmp];
    try {
      const json = this.options.pretty ? [JSON.stringify(snapshot, null, 1)] : snapshotJsonSlices(snapshot);
      await pipeline(Readable.from(json), createWriteStream(latestTmp));
      if (this.options.history) {
        const gz = this.options.gzip;
        const name = historyName(snapshot, gz);
        const historyTmp = this.tmpPath(name);
        written.push(historyTmp);
        if (gz) await pipeline(createReadStream(latestTmp), createGzip(), createWriteStream(historyTmp));
        else await copyFile(latestTmp, historyTmp);
        await rename(historyTmp, join(this.dir, name));
      }
      await rename(latestTmp, join(this.dir, 'latest.json'));
    } catch (err) {
      await Promise.all(written.map((tmp) => unlink(tmp).catch(() => {})));
      throw err;
    }
    if (this.options.history && this.options.keep > 0 && snapshot.seq % 16 === 0) await this.prune();
  }

  override async onCleanup(): Promise<void> {
    await this.prune();
  }

  /** Files are written under a temporary name and renamed into place: readers never see half a snapshot. */
  private tmpPath(name: string): string {
    return join(this.dir, `.${name}.${process.pid}.tmp`);
  }

  /** Keep the newest `keep` history files (names sort by sequence). */
  private async prune(): Promise<void> {
    const keep = this.options.keep;
    if (keep === 0) return;
    const history = (await readdir(this.dir)).filter((f) => HISTORY.test(f)).sort();
    for (const old of history.slice(0, Math.max(0, history.length - keep))) {
      await unlink(join(this.dir, old)).catch(() => {});
    }
  }
}
