import { constants } from 'node:fs';
import { access, mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { EvcamError, ErrorCodes, Polaroid, type Snapshot } from '@evcam/camera-api';
import { fileCameraOptions, type FileCameraOptions } from './options.js';
import { snapshotJsonPieces } from './snapshot-json.js';

const gzipAsync = promisify(gzip);
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
    // In slices, so a 10k-task snapshot never stalls ingestion (see snapshot-json.ts).
    const json = this.options.pretty ? [JSON.stringify(snapshot, null, 1)] : await snapshotJsonPieces(snapshot);
    if (this.options.history) {
      const gz = this.options.gzip;
      const body = gz ? await gzipAsync(json.join('')) : json;
      await this.writeAtomically(historyName(snapshot, gz), body);
    }
    await this.writeAtomically('latest.json', json);
    if (this.options.history && this.options.keep > 0 && snapshot.seq % 16 === 0) await this.prune();
  }

  override async onCleanup(): Promise<void> {
    await this.prune();
  }

  private async writeAtomically(name: string, body: readonly string[] | Buffer): Promise<void> {
    const target = join(this.dir, name);
    const tmp = join(this.dir, `.${name}.${process.pid}.tmp`);
    await writeFile(tmp, body);
    await rename(tmp, target);
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
