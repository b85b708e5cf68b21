import type { CameraHost, Clock, Logger, Timer } from '@evcam/camera-api';
import { ContainerModule } from '#inversify';
import { planCameras, type CameraPlan } from '../cameras/loader.js';
import type { ResolvedConfig } from '../config/schema.js';
import { Ids } from '../container/ids.js';
import type { State } from '../container/services.js';
import type { ShutterGate } from '../engine/gate.js';
import { ShutterEngine } from '../engine/shutter-engine.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { Receiver } from '../receivers/receiver.js';

/**
 * The cameras: found and their options validated while the module loads (so a
 * bad camera fails the build, before anything connects), constructed on resolve,
 * each driven by its own shutter engine.
 */
export function camerasModule(config: ResolvedConfig, configDir: string, options: { withoutCameras?: boolean } = {}): ContainerModule {
  return new ContainerModule(async ({ bind }) => {
    const plans = options.withoutCameras ? [] : await planCameras(config, configDir);
    bind(Ids.CameraPlans).toConstantValue(plans);
    bind(Ids.CameraHost).toResolvedValue((state: State, clock: Clock, timer: Timer, ingestor: Ingestor, receiver: Receiver): CameraHost => {
      const host: CameraHost = {
        timer,
        clock,
        takeSnapshot: (since, seq) => state.snapshot(since, seq, clock.now()),
        hold: () => ingestor.hold(),
      };
      // Absent, not failing, when the receiver cannot tell.
      if (receiver.queueDepths) return { ...host, queueDepths: (queues) => receiver.queueDepths!(queues) };
      return host;
    }, [Ids.State, Ids.Clock, Ids.Timer, Ids.Ingestor, Ids.Receiver]);
    bind(Ids.Cameras).toResolvedValue(
      (list: readonly CameraPlan[], host: CameraHost, dir: string, logger: Logger, gate: ShutterGate, ingestor: Ingestor, state: State, clock: Clock): ShutterEngine[] => {
        const engines = list.map((plan) => {
          // Each engine reads as itself, so the State keeps removals only as far back as its `since`.
          const reader = {};
          const own: CameraHost = { ...host, takeSnapshot: (since, seq) => state.snapshot(since, seq, clock.now(), reader) };
          return new ShutterEngine(plan.create({
            host: own, configDir: dir, logger: logger.child(plan.name === plan.source ? { camera: plan.name } : { camera: plan.name, source: plan.source }),
          }), own, plan.settings, { gate, source: plan.source });
        });
        ingestor.setCameras(engines);
        return engines;
      }, [Ids.CameraPlans, Ids.CameraHost, Ids.ConfigDir, Ids.Logger, Ids.ShutterGate, Ids.Ingestor, Ids.State, Ids.Clock]);
  });
}
