import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

const FILE = 'seq.json';
/** Seqs reserved per disk write: one small write per BLOCK shutters instead of one per shutter. */
const BLOCK = 1000;

/**
 * The seq in history keys, monotonic across restarts: the counter persists the end of
 * a reserved block in the spool dir, and a new run starts after the last reservation
 * (skipping at most BLOCK numbers), so keys of a new run always sort after the old ones.
 */
export class SeqCounter {
  private next = 1;
  private reservedUpTo = 1;

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<SeqCounter> {
    const counter = new SeqCounter(dir);
    try {
      const saved = JSON.parse(await readFile(join(dir, FILE), 'utf8')) as { reservedUpTo?: unknown };
      if (typeof saved.reservedUpTo === 'number' && Number.isSafeInteger(saved.reservedUpTo)) {
        counter.next = counter.reservedUpTo = saved.reservedUpTo;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return counter;
  }

  /** Never below `floor` (e.g. the highest seq already in the spool). */
  raiseTo(floor: number): void {
    if (floor >= this.next) this.next = floor + 1;
  }

  async take(): Promise<number> {
    if (this.next >= this.reservedUpTo) {
      const end = this.next + BLOCK;
      await writeFileAtomic(join(this.dir, FILE), JSON.stringify({ reservedUpTo: end }));
      this.reservedUpTo = end;
    }
    return this.next++;
  }
}
