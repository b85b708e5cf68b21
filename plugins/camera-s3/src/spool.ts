import { mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@evcam/camera-api';
import { TMP_SUFFIX, writeFileAtomic } from './atomic-file.js';
import { padSeq } from './layout.js';
import { decodeSpoolFile, encodeSpoolFile, type S3Object } from './s3-object.js';

const HISTORY_FILE = /^(\d+)\.obj$/;
const LATEST_FILE = 'latest.obj';

interface HistoryEntry { seq: number; file: string; bytes: number }

/** What the uploader should send next: the oldest history object, or (once none is left) latest.json. */
export type SpoolJob =
  | { kind: 'history'; entry: HistoryEntry; object: S3Object }
  | { kind: 'latest'; generation: number; object: S3Object };

/**
 * Snapshots waiting for S3, on disk, in seq order, bounded in bytes.
 *
 * History objects are files `<seq>.obj`; only the newest latest.json is kept
 * (`latest.obj`), since an older one would be overwritten at once anyway.
 * Files are written tmp + rename, so a crash never leaves half an object to upload.
 * When the bound is reached the OLDEST history objects are dropped (counted, logged):
 * the newest state is the most useful one, and latest.json always survives.
 */
export class Spool {
  private readonly entries: HistoryEntry[] = [];
  private latestBytes = 0;
  private latestGeneration = 0;
  private hasLatest = false;
  private historyBytes = 0;
  /** The entry the uploader is sending right now: never dropped, or it might arrive yet be counted as lost. */
  private uploading: HistoryEntry | null = null;
  /** History objects dropped because the spool was full, since open(). */
  dropped = 0;

  private constructor(readonly dir: string, readonly maxBytes: number, private readonly logger: Logger) {}

  /** Open (creating) the directory and index what a previous run left, oldest first. */
  static async open(dir: string, maxBytes: number, logger: Logger): Promise<Spool> {
    const spool = new Spool(dir, maxBytes, logger);
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) {
      if (name.endsWith(TMP_SUFFIX)) {
        await unlink(join(dir, name)).catch(() => {}); // a write a crash interrupted
        continue;
      }
      const m = HISTORY_FILE.exec(name);
      if (m) {
        const bytes = (await stat(join(dir, name))).size;
        spool.entries.push({ seq: Number(m[1]), file: name, bytes });
        spool.historyBytes += bytes;
      } else if (name === LATEST_FILE) {
        spool.latestBytes = (await stat(join(dir, name))).size;
        spool.hasLatest = true;
      }
    }
    spool.entries.sort((a, b) => a.seq - b.seq);
    return spool;
  }

  /** History objects waiting. */
  get length(): number { return this.entries.length; }
  get bytes(): number { return this.historyBytes + this.latestBytes; }
  get isEmpty(): boolean { return this.entries.length === 0 && !this.hasLatest; }
  /** The highest seq waiting (0 if none), so a new run never reuses one. */
  get maxSeq(): number { return this.entries.at(-1)?.seq ?? 0; }

  /** Add a history object; returns how many older ones were dropped to make room. */
  async push(seq: number, object: S3Object): Promise<number> {
    const file = `${padSeq(seq)}.obj`;
    const parts = encodeSpoolFile(object);
    const bytes = parts[0].length + parts[1].length;
    const droppedSeqs = await this.makeRoom(bytes);
    if (this.bytes + bytes > this.maxBytes) {
      this.dropped++;
      this.logger.error({ dir: this.dir, seq, bytes, maxBytes: this.maxBytes, dropped: this.dropped },
        'S3 spool: no room for this snapshot even after dropping older ones, so it was dropped; raise spoolMaxBytes');
      return droppedSeqs.length + 1;
    }
    await writeFileAtomic(join(this.dir, file), parts);
    this.entries.push({ seq, file, bytes });
    this.historyBytes += bytes;
    return droppedSeqs.length;
  }

  /** Drop the oldest history objects (except the one uploading) until `extra` more bytes fit. */
  private async makeRoom(extra: number): Promise<number[]> {
    const droppedSeqs: number[] = [];
    for (;;) {
      const oldest = this.entries.find((e) => e !== this.uploading);
      if (!oldest || this.bytes + extra <= this.maxBytes) break;
      await this.forget(oldest);
      droppedSeqs.push(oldest.seq);
    }
    if (droppedSeqs.length > 0) {
      this.dropped += droppedSeqs.length;
      this.logger.warn({ dir: this.dir, droppedSeqs, dropped: this.dropped, maxBytes: this.maxBytes },
        'S3 spool is full: dropped the oldest snapshots to keep the newest (raise spoolMaxBytes to keep more)');
    }
    return droppedSeqs;
  }

  /** Replace the waiting latest.json with a newer one; returns how many history objects were dropped to make room. */
  async setLatest(object: S3Object): Promise<number> {
    const parts = encodeSpoolFile(object);
    const bytes = parts[0].length + parts[1].length;
    const dropped = (await this.makeRoom(bytes - this.latestBytes)).length;
    // Bumped before the write, so an upload of the previous one that finishes meanwhile cannot delete this file.
    this.latestGeneration++;
    await writeFileAtomic(join(this.dir, LATEST_FILE), parts);
    this.latestBytes = bytes;
    this.hasLatest = true;
    return dropped;
  }

  /** The next object to upload, in order: history oldest first, then latest.json. */
  async next(): Promise<SpoolJob | null> {
    for (;;) {
      const entry = this.entries[0];
      const generation = this.latestGeneration;
      if (!entry && !this.hasLatest) return null;
      const file = entry ? entry.file : LATEST_FILE;
      let object: S3Object;
      try {
        object = decodeSpoolFile(await readFile(join(this.dir, file)));
      } catch (err) {
        // Retrying would never help: set the file aside (for a human to look at) and go on with the next one.
        this.logger.error({ err, file: join(this.dir, file) }, 'S3 spool: unreadable spool file renamed to *.corrupt and skipped');
        await rename(join(this.dir, file), join(this.dir, `${file}.corrupt`)).catch(() => {});
        if (entry) await this.forget(entry);
        else if (generation === this.latestGeneration) { this.hasLatest = false; this.latestBytes = 0; }
        continue;
      }
      this.uploading = entry ?? null;
      return entry ? { kind: 'history', entry, object } : { kind: 'latest', generation, object };
    }
  }

  /** The job was uploaded: delete its file (unless a newer latest.json replaced it meanwhile, or it was dropped). */
  async done(job: SpoolJob): Promise<void> {
    this.uploading = null;
    if (job.kind === 'history') {
      if (this.entries.includes(job.entry)) await this.forget(job.entry);
    } else if (job.generation === this.latestGeneration && this.hasLatest) {
      this.hasLatest = false;
      this.latestBytes = 0;
      await unlink(join(this.dir, LATEST_FILE)).catch(ignoreMissing);
    }
  }

  /** The upload of the job failed; it stays first in line (and may be dropped again if the spool fills). */
  release(): void {
    this.uploading = null;
  }

  private async forget(entry: HistoryEntry): Promise<void> {
    this.entries.splice(this.entries.indexOf(entry), 1);
    this.historyBytes -= entry.bytes;
    await unlink(join(this.dir, entry.file)).catch(ignoreMissing);
  }
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
