/** Fold mode acks in batches: every ACK_EVERY folded messages, or ACK_DELAY_MS after the first of a batch. */
export const ACK_EVERY = 256;
export const ACK_DELAY_MS = 50;

/** What the receiver does after adding a delivery to the batch. */
export type AckStep = 'flush' | 'arm' | 'wait';

/**
 * The batch of folded, not yet acknowledged deliveries. Events are folded synchronously,
 * so one multiple-ack of the newest delivery covers the whole batch.
 */
export class AckBatch<M> {
  private last: M | null = null;
  private count = 0;

  constructor(readonly every = ACK_EVERY) {}

  /** A delivery was folded: 'flush' = ack now (batch full), 'arm' = first of a batch (start the delay), 'wait' = nothing yet. */
  add(delivery: M): AckStep {
    this.last = delivery;
    this.count++;
    if (this.count >= this.every) return 'flush';
    return this.count === 1 ? 'arm' : 'wait';
  }

  /** The delivery to ack with multiple=true (null if none); the batch starts afresh. */
  take(): M | null {
    const last = this.last;
    this.last = null;
    this.count = 0;
    return last;
  }

  get size(): number {
    return this.count;
  }
}

/**
 * Checkpoint mode: acks wait for a checkpoint, so ask for one once half the prefetch
 * window is unacknowledged, before the broker stops sending.
 */
export function checkpointBacklogAt(prefetch: number): number {
  return Math.max(1, Math.floor(prefetch / 2));
}
