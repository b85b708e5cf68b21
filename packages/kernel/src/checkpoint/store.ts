import { closeSync, fsyncSync, openSync, readFileSync, renameSync } from 'node:fs';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { SavedState } from './state-codec.js';

/** Bump when the layout changes; older files are moved aside, never misread. */
export const CHECKPOINT_FORMAT = 'evcam.checkpoint/1';

export interface CheckpointDocument {
  format: typeof CHECKPOINT_FORMAT;
  /** Wall clock of the write, epoch seconds (for operators; never used to restore). */
  writtenAt: number;
  /** The receiver's Lamport clock (task-sent clocks are derived from it). */
  lamport: number;
  /**
   * Fingerprints of broker messages whose events are in `state` but which may not
   * have been acknowledged yet: a redelivered message with one of these is skipped.
   */
  fingerprints: string[];
  state: SavedState;
  /** Id of the journal whose entries (in `<file>.journal`) follow this document; absent: none. */
  journal?: string;
}

export type ReadResult =
  | { kind: 'missing' }
  | { kind: 'ok'; document: CheckpointDocument }
  | { kind: 'unusable'; why: string };

/** Read and check the envelope of a checkpoint file (the State is checked on restore). */
export function readCheckpoint(file: string): ReadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unusable', why: `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { kind: 'unusable', why: `it is not JSON (${text.length} bytes; truncated or corrupt)` };
  }
  const d = doc as Partial<CheckpointDocument> | null;
  if (d === null || typeof d !== 'object') return { kind: 'unusable', why: 'it is not a checkpoint object' };
  if (d.journal !== undefined && typeof d.journal !== 'string') return { kind: 'unusable', why: 'its journal id is not a string' };
  if (d.format !== CHECKPOINT_FORMAT) {
    return { kind: 'unusable', why: `format is ${JSON.stringify(d.format)}, this kernel reads ${CHECKPOINT_FORMAT}` };
  }
  if (!Number.isFinite(d.lamport) || !Array.isArray(d.fingerprints) || d.state === null || typeof d.state !== 'object') {
    return { kind: 'unusable', why: 'lamport, fingerprints or state is missing' };
  }
  return { kind: 'ok', document: d as CheckpointDocument };
}

/** Rename an unusable checkpoint to <file>.corrupt-<time> so it can be inspected; returns the new path. */
export function moveAside(file: string, now = new Date()): string {
  const aside = `${file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
  renameSync(file, aside);
  return aside;
}

/**
 * Pieces are joined into writes of about this many characters: no document-sized string or
 * buffer, and small enough for V8's young generation (larger strings go to large-object space
 * and wait for a full collection: 1 MB writes cost ~7 MB of peak RSS and more GC).
 */
const WRITE_CHUNK_CHARS = 1 << 16;

/** Write `pieces` one after another at the handle's position, joined into 64 KB writes. */
export async function writePieces(handle: FileHandle, pieces: readonly string[]): Promise<void> {
  // Each writeFile continues at the handle's position and completes partial writes itself.
  for (const chunk of chunks(pieces)) await handle.writeFile(chunk, 'utf8');
}

function* chunks(pieces: readonly string[]): Generator<string> {
  let batch: string[] = [];
  let length = 0;
  for (const piece of pieces) {
    batch.push(piece);
    length += piece.length;
    if (length >= WRITE_CHUNK_CHARS) {
      yield batch.join('');
      batch = [];
      length = 0;
    }
  }
  if (batch.length > 0) yield batch.join('');
}

/**
 * Write atomically: temporary file in the same directory, fsync, rename, fsync
 * the directory. A crash at any point leaves the old or the new checkpoint, whole.
 * `json` is the document, or pieces of it to write one after another; returns its length in characters.
 */
export async function writeCheckpoint(file: string, json: string | readonly string[]): Promise<number> {
  const pieces = typeof json === 'string' ? [json] : json;
  let length = 0;
  for (const piece of pieces) length += piece.length;
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  // The default lives in the state directory, which may not exist yet; private, as the State names hosts and arguments.
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const handle = await open(tmp, 'w', 0o600);
  try {
    await writePieces(handle, pieces);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await handle.close();
  await rename(tmp, file);
  syncDirectory(dirname(file));
  return length;
}

export function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  }
}
