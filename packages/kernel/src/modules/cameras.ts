import type { CameraHost, Clock, Logger, Polaroid, Timer } from '@evcam/camera-api';
import { ContainerModule } from 'inversify';
import { planCameras, type CameraPlan } from '../cameras/loader.js';
import type { ResolvedConfig } from '../config/schema.js';
import { Ids } from '../container/ids.js';
import type { State } from '../container/services.js';
import type { Ingestor } from '../ingest/ingestor.js';

/**
 * The cameras: found and their options validated while the module loads (so a
 * bad camera fails the build, before anything connects), constructed on resolve.
 */
export function camerasModule(config: ResolvedConfig, configDir: string, options: { withoutCameras?: boolean } = {}): ContainerModule {
  return new ContainerModule(async ({ bind }) => {
    const plans = options.withoutCameras ? [] : await planCameras(config, configDir);
    bind(Ids.CameraPlans).toConstantValue(plans);
    bind(Ids.CameraHost).toResolvedValue((state: State, clock: Clock, timer: Timer, ingestor: Ingestor): CameraHost => ({
      timer,
      clock,
      takeSnapshot: (since, seq) => state.snapshot(since, seq, clock.now()),
      hold: () => ingestor.hold(),
    }), [Ids.State, Ids.Clock, Ids.Timer, Ids.Ingestor]);
    bind(Ids.Cameras).toResolvedValue((list: readonly CameraPlan[], host: CameraHost, dir: string, logger: Logger): Polaroid[] =>
      list.map((plan) => plan.create({ host, settings: plan.settings, configDir: dir, logger: logger.child({ camera: plan.name }) })),
    [Ids.CameraPlans, Ids.CameraHost, Ids.ConfigDir, Ids.Logger]);
  });
}
