/** DI tokens: one Symbol per kernel component (Symbol.for, so copies of the kernel agree). */
export const TOKENS = {
  Config: Symbol.for('evcam.Config'),
  ConfigDir: Symbol.for('evcam.ConfigDir'),
  Logger: Symbol.for('evcam.Logger'),
  Clock: Symbol.for('evcam.Clock'),
  Timer: Symbol.for('evcam.Timer'),
  State: Symbol.for('evcam.State'),
  Ingestor: Symbol.for('evcam.Ingestor'),
  Receiver: Symbol.for('evcam.Receiver'),
  Cameras: Symbol.for('evcam.Cameras'),
  CameraHost: Symbol.for('evcam.CameraHost'),
  Kernel: Symbol.for('evcam.Kernel'),
} as const;
