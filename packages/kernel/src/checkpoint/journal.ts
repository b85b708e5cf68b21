import { readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SavedChanges } from './state-codec.js';
import { syncDirectory, writePieces } from './store.js';

/**
 * The checkpoint journal: after a full checkpoint, each further checkpoint appends
 * only what changed (one JSON line, fsynced before its messages are acked) to
 * `<file>.journal`. Restore = the full checkpoint + its entries in order. Lines carry
 * the id of the full checkpoint they follow, so a journal left over from an older one
 * (a crash between writing a full checkpoint and emptying the journal) is ignored;
 * a torn last line (a crash mid-append) is ignored too: its messages were never acked.
 */
export const JOURNAL_FORMAT = 'evcam.checkpoint-journal/1';

export interface JournalEntry {
  format: typeof JOURNAL_FORMAT;
  /** Id of the full checkpoint this entry follows. */
  journal: string;
  /** 1, 2, … after that checkpoint. */
  n: number;
  writtenAt: number;
  lamport: number;
  fingerprints: string[];
  state: SavedChanges;
}

export const journalFile = (checkpointFile: string): string => `${checkpointFile}.journal`;

/** Appends entries to one journal, each made durable before append() resolves. */
export class JournalWriter {
  /** Bytes (characters) appended so far. */
  length = 0;
  entries = 0;

  private constructor(readonly id: string, private readonly handle: FileHandle) {}

  /** Start an empty journal for the full checkpoint `id` (whatever the file held is dropped). */
  static async create(checkpointFile: string, id: string): Promise<JournalWriter> {
    const file = journalFile(checkpointFile);
    const handle = await open(file, 'w', 0o600);
    syncDirectory(dirname(file));
    return new JournalWriter(id, handle);
  }

  /** The envelope fields of the next entry up to (not including) its state, as JSON. */
  nextEnvelope(fields: { writtenAt: number; lamport: number; fingerprints: readonly string[] }): string {
    const head = JSON.stringify({ format: JOURNAL_FORMAT, journal: this.id, n: this.entries + 1, ...fields });
    return `${head.slice(0, -1)},"state":`;
  }

  /** Append one entry (`pieces` of its JSON without the newline); returns its length. */
  async append(pieces: readonly string[]): Promise<number> {
    let length = 1;
    for (const piece of pieces) length += piece.length;
    await writePieces(this.handle, [...pieces, '\n']);
    await this.handle.datasync();
    this.entries++;
    this.length += length;
    return length;
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => {});
  }
}

export interface JournalRead {
  entries: JournalEntry[];
  /** Set when the entries stop early at a line that is not a valid entry of this journal. */
  stoppedAt: { line: number; why: string; linesAfter: number } | null;
  /** Lines of another (older) journal, skipped. */
  foreign: number;
}

/**
 * The entries of journal `id` in order, up to the first line that is torn, out of
 * sequence or rejected by `check` (which returns why, or null for a good state).
 */
export function readJournal(checkpointFile: string, id: string, check: (state: SavedChanges) => string | null): JournalRead {
  let text: string;
  try {
    text = readFileSync(journalFile(checkpointFile), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], stoppedAt: null, foreign: 0 };
    throw err;
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const entries: JournalEntry[] = [];
  let foreign = 0;
  for (let i = 0; i < lines.length; i++) {
    const stop = (why: string): JournalRead => ({ entries, stoppedAt: { line: i + 1, why, linesAfter: lines.length - i - 1 }, foreign });
    let entry: Partial<JournalEntry> | null;
    try {
      entry = JSON.parse(lines[i]) as Partial<JournalEntry> | null;
    } catch {
      return stop(i === lines.length - 1 ? 'torn last line (a crash while appending)' : 'not JSON');
    }
    if (entry === null || typeof entry !== 'object' || entry.format !== JOURNAL_FORMAT) return stop('not a journal entry');
    if (entry.journal !== id) {
      foreign++;
      continue;
    }
    if (entry.n !== entries.length + 1) return stop(`entry ${String(entry.n)} where ${entries.length + 1} was expected`);
    if (!Number.isFinite(entry.lamport) || !Array.isArray(entry.fingerprints) || entry.state === null || typeof entry.state !== 'object') {
      return stop('lamport, fingerprints or state is missing');
    }
    const bad = check(entry.state);
    if (bad !== null) return stop(bad);
    entries.push(entry as JournalEntry);
  }
  return { entries, stoppedAt: null, foreign };
}
