/**
 * Ids that left the State (LRU eviction, clear), each with the State version it
 * left at, oldest first: `removed` since a cut is the tail after it. Entries
 * older than every cut a camera may still ask from are trimmed.
 */
export class Tombstones {
  private ids: string[] = [];
  private at: number[] = [];
  /** Version the id entered the State at: a camera whose cut is older never saw it, so it is not "removed" for it. */
  private born: number[] = [];
  /** Index of the first live entry (trimming moves it; the arrays are compacted now and then). */
  private start = 0;
  /** Newest version trimmed: `since` answers exactly only for a cut at or after it. */
  floor = 0;

  add(id: string, version: number, born: number): void {
    this.ids.push(id);
    this.at.push(version);
    this.born.push(born);
  }

  get size(): number {
    return this.ids.length - this.start;
  }

  /** Version of the oldest entry kept (Infinity when empty). */
  get oldest(): number {
    return this.start < this.at.length ? this.at[this.start] : Infinity;
  }

  /** Ids held at `since` that left after it and are not back (`present`), each once, in the order they left. */
  since(since: number, present: (id: string) => boolean): string[] {
    const { ids, at, born } = this;
    if (since <= 0) return []; // a camera that stored nothing yet has nothing to remove
    let i = at.length;
    // Binary search: the first entry after `since`.
    let lo = this.start;
    while (lo < i) {
      const mid = (lo + i) >>> 1;
      if (at[mid] > since) i = mid;
      else lo = mid + 1;
    }
    if (i === at.length) return [];
    const out: string[] = [];
    const seen = new Set<string>();
    for (; i < ids.length; i++) {
      const id = ids[i];
      if (born[i] > since || seen.has(id) || present(id)) continue;
      seen.add(id);
      out.push(id);
    }
    return out;
  }

  /** Forget entries at or before `floor`: no cut a camera may still ask from is that old. */
  trim(floor: number): void {
    const { at } = this;
    if (floor > this.floor) this.floor = floor;
    while (this.start < at.length && at[this.start] <= floor) this.start++;
    if (this.start > 4096 && this.start * 2 > at.length) {
      this.ids = this.ids.slice(this.start);
      this.at = this.at.slice(this.start);
      this.born = this.born.slice(this.start);
      this.start = 0;
    }
  }

  clear(): void {
    this.ids = [];
    this.at = [];
    this.born = [];
    this.start = 0;
  }
}
