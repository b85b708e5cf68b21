/** A source of Celery event messages: AMQP, Redis, or one a user plugs in. */
export interface Receiver {
  /** 'amqp', 'redis', ... */
  readonly kind: string;
  /**
   * Connect and start consuming, feeding every message to the Ingestor.
   * Rejects with an EvcamError for mistakes only the user can fix (bad URL,
   * refused credentials); a broker that is merely down is retried in the background.
   */
  start(): Promise<void>;
  /** Stop consuming (acknowledging what was folded) and close the connection. */
  stop(): Promise<void>;
  /** Stop taking new messages but keep the connection (used before the final shutter). */
  pause?(): Promise<void>;
  health(): ReceiverHealth;
  /**
   * Messages waiting in these broker queues, null for a queue the broker does not
   * know (AMQP). Cameras reach it as `host.queueDepths`. Rejects while disconnected.
   */
  queueDepths?(queues: readonly string[]): Promise<Record<string, number | null>>;
}

export interface ReceiverHealth {
  connected: boolean;
  /** Reconnects since start, and why the last one happened. */
  reconnects: number;
  lastError: string | null;
  /** Seconds spent disconnected in total (Redis: windows in which events were lost). */
  disconnectedSecs: number;
  /** Redis: subscription gaps (windows in which events were lost) and the last one's length. */
  gaps?: number;
  lastGapSecs?: number | null;
  /** Queue the receiver consumes from, if any. */
  queue?: string;
}
