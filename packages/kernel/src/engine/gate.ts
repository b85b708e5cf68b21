/**
 * Whether this kernel may shutter now. High availability binds one that is open only
 * while this kernel leads; a single kernel uses OPEN_GATE. The shutter engine asks
 * right before taking a snapshot and right before each onShutter attempt: while it is
 * closed nothing is taken or stored, and the first shutter after it opens carries in
 * `changed` everything since the last stored one.
 */
export interface ShutterGate {
  isOpen(): boolean;
  /** The leadership epoch, stamped on every snapshot as `snapshot.epoch` when defined. */
  readonly epoch: number | undefined;
}

/** Always open, no epoch: a kernel without high availability. */
export const OPEN_GATE: ShutterGate = Object.freeze({ isOpen: () => true, epoch: undefined });
