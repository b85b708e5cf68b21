import { cleanupSignal, shutterSignal, type Polaroid, type Snapshot } from '@evcam/camera-api';
import type { Harness } from './harness.js';

/** A promise to hold onShutter on, released by the kit. */
interface Gate { promise: Promise<void>; open: () => void }

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => { open = resolve; });
  return { promise, open };
}

/**
 * Watches one camera through its public override points: what it was handed,
 * what it stored, whether the snapshots it got were the State as it was at the
 * shutter. It can also hold onShutter (slow backend) or fail it (outage).
 */
export class Recorder {
  /** Snapshots whose onShutter resolved, in order. */
  readonly stored: Snapshot[] = [];
  /** Contract violations seen so far (each one a sentence). */
  readonly violations: string[] = [];
  onShutterCalls = 0;
  cleanups = 0;
  cleanupSignals = 0;
  cleanupErrors: unknown[] = [];
  closes = 0;
  /** Set while the kit simulates an outage itself (no breakBackend given). */
  failShutters = false;
  /** Set while the plugin's backend is broken: cleanup errors are expected then. */
  backendDown = false;
  private held: Gate | null = null;
  /** Each snapshot as JSON at the moment it was taken, until stored. */
  private readonly taken = new Map<number, string>();
  private readonly disconnect: () => void;

  constructor(readonly camera: Polaroid<any>, harness: Harness) {
    const name = camera.name;
    const state = harness.state;
    const offCleanup = cleanupSignal.connect(({ camera: from }) => { if (from === name) this.cleanupSignals++; });
    const offShutter = shutterSignal.connect(({ camera: from, snapshot }) => {
      if (from !== name) return;
      if (snapshot.event_count !== state.eventCount) {
        this.violations.push(`snapshot ${snapshot.seq} has event_count ${snapshot.event_count}, but the State had folded ${state.eventCount} events at the shutter`);
      }
      this.taken.set(snapshot.seq, JSON.stringify(snapshot));
    });
    this.disconnect = () => { offCleanup(); offShutter(); };
    this.instrument(camera);
  }

  private instrument(camera: Polaroid<any>): void {
    const onShutter = camera.onShutter.bind(camera);
    const onCleanup = camera.onCleanup.bind(camera);
    const onClose = camera.onClose.bind(camera);
    camera.onShutter = async (snapshot, ctx) => {
      this.onShutterCalls++;
      const atShutter = this.taken.get(snapshot.seq);
      if (atShutter === undefined) {
        this.violations.push(`onShutter got snapshot ${snapshot.seq}, which no shutter took`);
      } else if (JSON.stringify(snapshot) !== atShutter) {
        this.violations.push(`snapshot ${snapshot.seq} differs from the State as it was at its shutter (events folded later leaked in, or a previous attempt modified it)`);
      }
      if (this.held) await this.held.promise;
      if (this.failShutters) throw new Error('testkit: simulated backend outage');
      await onShutter(snapshot, ctx);
      if (atShutter !== undefined && JSON.stringify(snapshot) !== atShutter) {
        this.violations.push(`onShutter modified snapshot ${snapshot.seq}: snapshots are read-only (their task documents are shared with later snapshots and other cameras)`);
      }
      this.stored.push(snapshot);
      for (const seq of this.taken.keys()) if (seq <= snapshot.seq) this.taken.delete(seq);
    };
    camera.onCleanup = async () => {
      this.cleanups++;
      try {
        await onCleanup();
      } catch (err) {
        if (!this.backendDown) this.cleanupErrors.push(err);
        throw err;
      }
    };
    camera.onClose = async () => {
      this.closes++;
      await onClose();
    };
  }

  /** Hold every onShutter call until release(). */
  hold(): void {
    this.held ??= gate();
  }

  release(): void {
    this.held?.open();
    this.held = null;
  }

  get lastStored(): Snapshot | undefined {
    return this.stored[this.stored.length - 1];
  }

  dispose(): void {
    this.release();
    this.disconnect();
  }
}
