import type { Logger } from '@evcam/camera-api';
import { ContainerModule } from '#inversify';
import type { ResolvedConfig } from '../config/schema.js';
import { Ids } from '../container/ids.js';
import type { Checkpointer, KernelParts, State } from '../container/services.js';
import type { HaCoordinator } from '../ha/coordinator.js';
import type { ShutterEngine } from '../engine/shutter-engine.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { Receiver } from '../receivers/receiver.js';

/** What /healthz and /metrics read, and the server, bound only when http.port is set. */
export function httpModule(settings: ResolvedConfig['http']): ContainerModule {
  return new ContainerModule(async ({ bind }) => {
    bind(Ids.KernelParts).toResolvedValue(
      (state: State, ingestor: Ingestor, receiver: Receiver, cameras: ShutterEngine[], checkpointer: Checkpointer | undefined,
        ha: HaCoordinator | undefined): KernelParts =>
        ({ state, ingestor, receiver, cameras, checkpointer: checkpointer ?? null, ha: ha ?? null }),
      [Ids.State, Ids.Ingestor, Ids.Receiver, Ids.Cameras, { optional: true, serviceIdentifier: Ids.Checkpointer },
        { optional: true, serviceIdentifier: Ids.Ha }]);
    if (settings === undefined) return;
    // node:http and the metrics code load only when the server is enabled.
    const { HealthServer } = await import('../http.js');
    bind(Ids.HttpServer).toResolvedValue((parts: KernelParts, logger: Logger) => new HealthServer(settings, parts, logger),
      [Ids.KernelParts, Ids.Logger]);
  });
}
