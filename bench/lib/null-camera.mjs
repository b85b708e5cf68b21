// The "no camera" baseline of the shutter-cost benchmark: a camera that stores
// nothing, so the kernel runs its ordinary path with no snapshot work.
import { Polaroid } from '@evcam/camera-api';

export default class NullCamera extends Polaroid {
  static cameraName = 'null';
  onShutter() {}
}
