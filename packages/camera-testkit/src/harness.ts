import { silentLogger, type CameraHost, type Logger, type Snapshot } from '@evcam/camera-api';
import { CeleryState, FakeClock, Ingestor, type StateLimits } from 'evcam-kernel';
import { DEFAULT_FIXTURE, deliver, readDeliveries, type Delivery } from './fixture.js';

/**
 * The kernel's real State and Ingestor fed from a recorded stream, with a
 * FakeClock as the camera's Clock and Timer: time only moves when the kit says.
 */
export class Harness {
  readonly state: CeleryState;
  readonly ingestor: Ingestor;
  readonly clock: FakeClock;
  readonly deliveries: Delivery[];
  readonly host: CameraHost;
  /** Index of the next delivery to fold. */
  next = 0;
  /** Seconds the kit added on top of the recording (tick()), so receive times stay in order. */
  private shift = 0;

  /** `fixture`: a capture file, or deliveries already read; `limits`: the State's LRU limits (Celery's defaults). */
  constructor(fixture: string | Delivery[], logger: Logger, limits: Partial<StateLimits> = {}) {
    this.deliveries = typeof fixture === 'string' ? readDeliveries(fixture) : fixture;
    this.state = new CeleryState(limits, logger);
    this.ingestor = new Ingestor(this.state, logger);
    this.clock = new FakeClock(this.deliveries[0].at);
    const { state, clock, ingestor } = this;
    this.host = {
      timer: clock,
      clock,
      takeSnapshot: (since, seq) => state.snapshot(since, seq, clock.now()),
      hold: () => ingestor.hold(),
    };
  }

  get remaining(): number {
    return this.deliveries.length - this.next;
  }

  /**
   * Fold deliveries up to (not including) index `until`, moving the clock to each
   * one's receive time first, so the camera's timers fire where they would have.
   * `between` runs after each delivery (e.g. to let a shutter finish).
   */
  async foldUntil(until: number, between?: () => Promise<void>): Promise<void> {
    const end = Math.min(until, this.deliveries.length);
    while (this.next < end) {
      const d = this.deliveries[this.next++];
      const ahead = d.at + this.shift - this.clock.now();
      if (ahead > 0) await this.clock.advance(ahead);
      deliver(this.ingestor, d);
      if (between) await between();
    }
  }

  /** Fold deliveries without moving the clock: no timer fires. */
  foldSilently(until: number): void {
    const end = Math.min(until, this.deliveries.length);
    while (this.next < end) deliver(this.ingestor, this.deliveries[this.next++]);
  }

  /** Let `secs` of fake time pass with no events, firing due timers. */
  async tick(secs: number): Promise<void> {
    this.shift += secs;
    await this.clock.advance(secs);
  }
}

/**
 * A full, realistic State as snapshot `seq`: the shipped fixture (222 tasks of every
 * state, 2 workers) folded by the kernel's real State, every task and worker listed as
 * changed. Taken at the last event's receive time + `seq` unless `takenAt` is given.
 */
export function fixtureSnapshot(seq = 1, takenAt?: number): Snapshot {
  const harness = new Harness(DEFAULT_FIXTURE, silentLogger);
  harness.foldSilently(harness.deliveries.length);
  const lastAt = harness.deliveries[harness.deliveries.length - 1].at;
  return harness.state.snapshot(0, seq, takenAt ?? lastAt + seq).snapshot;
}
