import { EvcamError, ErrorCodes, type Polaroid, type Snapshot } from '@evcam/camera-api';

/** The ShutterGate shape (engine/gate.ts): open only while this kernel may write. */
export interface Gate {
  isOpen(): boolean;
  readonly epoch: number | undefined;
}

/**
 * Put each camera behind the gate: no snapshot is taken while it is shut (a
 * standby folds but never shutters), a snapshot taken just before it shut is
 * not handed to onShutter (refused, so the next stored one covers its changes),
 * and every snapshot carries the leader's epoch for cameras that fence on it.
 * Interim: the engine checks the gate itself once it owns the shutter path.
 */
export function gateCameras(cameras: readonly Polaroid[], gate: Gate): void {
  for (const camera of cameras) {
    const shutter = camera.shutter.bind(camera);
    const onShutter = camera.onShutter.bind(camera);
    camera.shutter = () => {
      if (gate.isOpen()) shutter();
    };
    camera.onShutter = (snapshot: Snapshot, ctx) => {
      if (!gate.isOpen()) {
        throw new EvcamError(ErrorCodes.HA_NOT_LEADER,
          'this kernel is no longer the HA leader: snapshot not written (the leader writes; this one retries if it leads again)', { retryable: true });
      }
      snapshot.epoch = gate.epoch;
      return onShutter(snapshot, ctx);
    };
  }
}
