import type { BulkEntry } from './documents.js';

/**
 * Documents not yet stored, one per id, newest wins. While Elasticsearch is down
 * memory grows with the number of distinct documents, never with time (unlike
 * Leek's broker queue, leek#82); past `max` the least recently changed one is
 * dropped and counted.
 */
export class PendingBuffer {
  private readonly entries = new Map<string, BulkEntry>();
  /** Documents dropped because the buffer was full. */
  dropped = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** Returns how many entries were dropped to make room. */
  put(entry: BulkEntry): number {
    // Delete first so a re-put moves the id to the back: insertion order = least recently changed first.
    this.entries.delete(entry.key);
    this.entries.set(entry.key, entry);
    let evicted = 0;
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      evicted++;
    }
    this.dropped += evicted;
    return evicted;
  }

  /** Remove an entry once stored, unless a newer version replaced it meanwhile. */
  settle(entry: BulkEntry): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
  }

  /** The entries in order, oldest change first (a copy: settling while iterating is safe). */
  list(): BulkEntry[] {
    return [...this.entries.values()];
  }
}
