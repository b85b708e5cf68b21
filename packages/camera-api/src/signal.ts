import type { Logger } from './runtime.js';
import type { Snapshot } from './snapshot.js';

export type Receiver<T> = (payload: T) => unknown;

/**
 * Celery's `Signal`, for code that is not a camera: a metrics exporter, an alert
 * hook, a test. A receiver that throws (or rejects) is logged and isolated.
 */
export class Signal<T> {
  private receivers: Receiver<T>[] = [];

  constructor(readonly name: string) {}

  /** Subscribe; returns the function that unsubscribes. */
  connect(receiver: Receiver<T>): () => void {
    this.receivers = [...this.receivers, receiver];
    return () => { this.receivers = this.receivers.filter((r) => r !== receiver); };
  }

  get size(): number { return this.receivers.length; }

  send(payload: T, logger?: Logger): void {
    for (const receiver of this.receivers) {
      try {
        const out = receiver(payload);
        if (out && typeof (out as Promise<unknown>).then === 'function') {
          (out as Promise<unknown>).then(undefined, (err: unknown) => logger?.error({ err, signal: this.name }, 'signal receiver failed'));
        }
      } catch (err) {
        logger?.error({ err, signal: this.name }, 'signal receiver failed');
      }
    }
  }
}

export interface ShutterPayload { camera: string; snapshot: Snapshot }
export interface CleanupPayload { camera: string }

// Registered on globalThis so every copy of this package in a process shares the
// same two signals, as Celery's class-level Polaroid.shutter_signal does.
const registry = globalThis as unknown as Record<symbol, Signal<never> | undefined>;
function shared<T>(key: string): Signal<T> {
  const sym = Symbol.for(key);
  registry[sym] ??= new Signal<T>(key) as unknown as Signal<never>;
  return registry[sym] as unknown as Signal<T>;
}

/** Sent on every shutter of every camera, with the snapshot, before onShutter. */
export const shutterSignal: Signal<ShutterPayload> = shared('evcam.shutter_signal');
/** Sent on every cleanup of every camera, before onCleanup. */
export const cleanupSignal: Signal<CleanupPayload> = shared('evcam.cleanup_signal');
