import type { Clock, Timer } from './runtime.js';
import type { Snapshot } from './snapshot.js';

/** A snapshot together with the State position it was cut at. */
export interface TakenSnapshot {
  snapshot: Snapshot;
  /** Opaque position in the event stream; pass it back as `since` to get `changed`. */
  cut: number;
  /**
   * Called exactly once by the engine when it no longer uses this snapshot (stored,
   * superseded, failed and replaced, or an abandoned onShutter settled).
   */
  release?(): void;
}

/** What every camera may use from the kernel (`this.host` in a Polaroid). */
export interface CameraServices {
  readonly timer: Timer;
  readonly clock: Clock;
  /**
   * Messages waiting in these broker queues (AMQP queue depth, Redis list length),
   * null for a queue the broker does not know; absent when the receiver cannot tell.
   */
  queueDepths?(queues: readonly string[]): Promise<Record<string, number | null>>;
}

/** What the kernel's shutter engine needs on top: cutting snapshots and holding events. */
export interface CameraHost extends CameraServices {
  /**
   * Cut the State now into a snapshot numbered `seq`. `changed` lists what was
   * touched after `since` (the cut of the last snapshot this camera stored).
   */
  takeSnapshot(since: number, seq: number): TakenSnapshot;
  /**
   * For clear_after: hold incoming events (buffered in arrival order, never lost)
   * until the returned release is called; release(true) first clears the State
   * as Celery's State.clear() does.
   */
  hold(): (clear: boolean) => void;
}
