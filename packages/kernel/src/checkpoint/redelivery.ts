import { createHash } from 'node:crypto';

/** Identifies a broker message by its body (Celery events carry their own timestamp and clock). */
export function fingerprint(body: Buffer | string): string {
  return createHash('sha1').update(body).digest('base64');
}

/** What a checkpoint takes from the guard, and how it confirms the messages are covered. */
export interface GuardCut {
  /** Every message whose events are in State but which may come back. */
  fingerprints: string[];
  /** Call once the checkpoint holding these is on disk (and acked). */
  commit(): void;
}

/**
 * Makes redelivery idempotent. A message folded but not yet acknowledged may
 * come back (`redelivered` set by the broker) after a crash or a lost channel.
 * Its fingerprint is then in `expected` and it is skipped, counted as duplicate.
 * Both sets are bounded by the prefetch window (unacked messages).
 */
export class RedeliveryGuard {
  /**
   * Bodies folded (or skipped) on the current channel since the last ack, in delivery
   * order (empty when hashing on arrival). Hashed only when a checkpoint or a lost channel needs them.
   */
  private pending: (Buffer | string)[] = [];
  /** Fingerprints of the first pending bodies, kept so a message waiting through several checkpoints is hashed once. */
  private hashed: string[] = [];
  /** Folded earlier, never acknowledged: will be skipped if redelivered. Count per fingerprint. */
  private readonly expected = new Map<string, number>();
  private expectedSize = 0;
  private generation = 0;
  duplicates = 0;

  /**
   * `hashOnArrival`: hash each body as it is admitted and keep only its fingerprint (for
   * checkpoint acks, where every unacked message is hashed by a checkpoint anyway: no body
   * stays in memory for the whole prefetch window). Otherwise bodies are hashed only if needed.
   */
  constructor(private readonly capacity: number, private readonly hashOnArrival = false) {}

  /** Seed from a restored checkpoint. */
  expect(fingerprints: readonly string[]): void {
    for (const fp of fingerprints) this.addExpected(fp);
  }

  /** Returns true when the message (its body) was folded before and must be skipped. */
  admit(body: Buffer | string, redelivered: boolean): boolean {
    let fp: string | undefined;
    if (this.hashOnArrival) this.hashed.push((fp = fingerprint(body)));
    else this.pending.push(body);
    if (!redelivered || this.expectedSize === 0) return false;
    fp ??= fingerprint(body);
    const n = this.expected.get(fp);
    if (n === undefined) return false;
    if (n === 1) this.expected.delete(fp);
    else this.expected.set(fp, n - 1);
    this.expectedSize--;
    this.duplicates++;
    return true;
  }

  /** Everything up to now is acknowledged (ack-after-fold mode). */
  acked(): void {
    this.pending.length = 0;
    this.hashed.length = 0;
  }

  /** The channel died: its unacked messages will be redelivered, but their events are folded. */
  channelLost(): void {
    for (const fp of this.pendingFingerprints()) this.addExpected(fp);
    this.pending = [];
    this.hashed = [];
    this.generation++;
  }

  /** A consistent cut for a checkpoint taken now (synchronously with the State). */
  cut(ack: () => void): GuardCut {
    const fingerprints: string[] = [];
    for (const [fp, n] of this.expected) for (let i = 0; i < n; i++) fingerprints.push(fp);
    for (const fp of this.pendingFingerprints()) fingerprints.push(fp);
    const count = this.unacked;
    const generation = this.generation;
    return {
      fingerprints,
      commit: () => {
        if (generation !== this.generation) return; // channel lost meanwhile: those messages come back as expected
        ack();
        if (!this.hashOnArrival) this.pending.splice(0, count);
        this.hashed.splice(0, count);
      },
    };
  }

  private pendingFingerprints(): string[] {
    const { pending, hashed } = this;
    for (let i = hashed.length; i < pending.length; i++) hashed.push(fingerprint(pending[i]));
    return hashed;
  }

  get unacked(): number {
    return this.hashOnArrival ? this.hashed.length : this.pending.length;
  }

  private addExpected(fp: string): void {
    this.expected.set(fp, (this.expected.get(fp) ?? 0) + 1);
    this.expectedSize++;
    // Acked messages never come back; forget the oldest ones beyond the window.
    while (this.expectedSize > this.capacity) {
      const [oldest, n] = this.expected.entries().next().value as [string, number];
      if (n === 1) this.expected.delete(oldest);
      else this.expected.set(oldest, n - 1);
      this.expectedSize--;
    }
  }
}
