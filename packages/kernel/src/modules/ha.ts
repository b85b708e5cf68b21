import type { Logger } from '@evcam/camera-api';
import { ContainerModule } from '#inversify';
import type { ResolvedConfig } from '../config/schema.js';
import { Ids } from '../container/ids.js';
import type { HaCoordinator } from '../ha/coordinator.js';
import type { Receiver } from '../receivers/receiver.js';

/**
 * High availability, bound only when `ha` is configured (run only): the coordinator
 * holding the broker's lease becomes the shutter gate every engine asks, and a
 * kernel service that starts it after the receiver and stops it last.
 */
export function haModule(config: ResolvedConfig | undefined, configDir: string): ContainerModule {
  return new ContainerModule(async ({ bind, rebind }) => {
    const ha = config?.ha;
    if (config === undefined || ha === undefined) return;
    // Loaded only with `ha`: the leases pull in amqplib and ioredis (start-up CPU, bench cpu part).
    const [{ HaCoordinator }, { haSettings }, { HaService, leaseFor }] = await Promise.all([
      import('../ha/coordinator.js'), import('../ha/settings.js'), import('../ha/wiring.js')]);
    const settings = haSettings(ha);
    bind(Ids.Ha).toResolvedValue((receiver: Receiver, logger: Logger) => {
      const log = logger.child({ component: 'ha' });
      return new HaCoordinator(leaseFor(config, configDir, settings, receiver, log), settings, log);
    }, [Ids.Receiver, Ids.Logger]);
    rebind(Ids.ShutterGate).toService(Ids.Ha);
    bind(Ids.KernelService).toResolvedValue((coordinator: HaCoordinator, logger: Logger) =>
      new HaService(coordinator, config, configDir, logger.child({ component: 'ha' })), [Ids.Ha, Ids.Logger]);
  });
}
