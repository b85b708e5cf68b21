/**
 * What a database cannot hold, replaced the same documented way by every SQL camera:
 * - lone UTF-16 surrogates (both dialects store UTF-8, which has no encoding for them) → U+FFFD;
 * - NUL (U+0000) on PostgreSQL, whose `text` refuses it → U+FFFD. SQLite keeps NUL as it is.
 * Each value changed is counted, so the camera can report how many it had to alter.
 */
export type Dialect = 'postgres' | 'sqlite';

export const REPLACEMENT_CHARACTER = '\uFFFD';

const SUSPECT: Record<Dialect, RegExp> = {
  postgres: /[\u0000\uD800-\uDFFF]/,
  sqlite: /[\uD800-\uDFFF]/,
};

type WellFormed = { isWellFormed(): boolean; toWellFormed(): string };

export class TextCleaner {
  /** Values changed since this cleaner was made (or since the last take()). */
  replaced = 0;
  private readonly suspect: RegExp;
  private readonly dropNul: boolean;

  constructor(readonly dialect: Dialect) {
    this.suspect = SUSPECT[dialect];
    this.dropNul = dialect === 'postgres';
  }

  /** The value as the database will hold it; the common case (nothing to change) allocates nothing. */
  clean(value: string | null): string | null {
    if (value === null || !this.suspect.test(value)) return value;
    let out = value;
    if (!(out as unknown as WellFormed).isWellFormed()) out = (out as unknown as WellFormed).toWellFormed();
    if (this.dropNul && out.includes('\u0000')) out = out.replaceAll('\u0000', REPLACEMENT_CHARACTER);
    if (out !== value) this.replaced++;
    return out;
  }

  /** Read and reset the count (one shutter's worth). */
  take(): number {
    const n = this.replaced;
    this.replaced = 0;
    return n;
  }
}
