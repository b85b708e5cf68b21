/**
 * Whether the shutter may fire now. The HA module rebinds it so that only the
 * leader stores snapshots; `epoch` is its leadership epoch (snapshot.epoch).
 */
export interface ShutterGate {
  isOpen(): boolean;
  readonly epoch: number | undefined;
}

/** A single kernel: always open, no epoch. */
export const OPEN_GATE: ShutterGate = Object.freeze({ isOpen: () => true, epoch: undefined });
