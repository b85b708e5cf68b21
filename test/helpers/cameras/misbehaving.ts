// Cameras that misbehave on purpose, for the reliability tests. Options pick the misbehaviour.
import { EvcamError, ErrorCodes, Polaroid, type Snapshot } from '@evcam/camera-api';

interface Options { mode?: 'hang' | 'throw' | 'slow' | 'refuse-start' | 'backend-down'; delayMs?: number }

/** hang: onShutter never settles; throw: always rejects; slow: takes delayMs; refuse-start/backend-down: onInstall fails. */
export default class MisbehavingCamera extends Polaroid<Options> {
  static override readonly cameraName = 'misbehaving';

  override onInstall(): void {
    if (this.options.mode === 'refuse-start') {
      throw new EvcamError(ErrorCodes.CAMERA_START, 'bucket "nope" does not exist; create it or fix the option bucket', { retryable: false });
    }
    if (this.options.mode === 'backend-down') {
      throw new EvcamError(ErrorCodes.CAMERA_START, 'backend at 127.0.0.1:1 refused the connection', { retryable: true });
    }
  }

  override async onShutter(_snapshot: Snapshot): Promise<void> {
    switch (this.options.mode) {
      case 'hang': await new Promise<never>(() => {}); break;
      case 'throw': throw new Error('backend exploded');
      case 'slow': await new Promise((r) => setTimeout(r, this.options.delayMs ?? 2000)); break;
      default: break;
    }
  }
}
