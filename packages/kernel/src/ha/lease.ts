/** This kernel just took the lead. */
export interface Acquired {
  /** The backend's counter, one higher for each new leader of the group: snapshots carry it for fencing. */
  epoch: number;
  /** The node that led before, if the backend remembers it. */
  previous: string | null;
}

/**
 * Leadership as a broker already guarantees it (see redis-lease.ts, amqp-lease.ts).
 * Every call may throw when the backend cannot be reached: the caller treats that
 * as "not confirmed", and a leader's lease then simply runs out.
 */
export interface LeaseBackend {
  readonly kind: 'redis' | 'amqp';
  /**
   * Seconds a lease confirmed by acquire() or renew() stays ours, counted from
   * just before the request was sent (by this process's monotonic clock).
   */
  readonly validFor: number;
  /** Take the lead if nobody holds it; null if another node does. */
  acquire(): Promise<Acquired | null>;
  /** Confirm we still hold it; false if it is gone (taken over, or expired). */
  renew(): Promise<boolean>;
  /** Give the lead up now (clean shutdown), so a standby need not wait for the lease to run out. */
  release(): Promise<void>;
  /** The current leader's node name, where the backend can tell. */
  leader(): Promise<string | null>;
  close(): Promise<void>;
  /** Set by the coordinator, for backends that learn at once that the lead is gone (a closed AMQP connection). */
  onLost?: (() => void) | null;
}
