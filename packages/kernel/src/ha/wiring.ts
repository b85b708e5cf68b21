import type { Logger } from '@evcam/camera-api';
import type { RedisOptions } from 'ioredis';
import type { ResolvedConfig } from '../config/schema.js';
import type { Kernel } from '../kernel.js';
import { amqpConnectOptions } from '../receivers/amqp.js';
import { brokerKind, parseAmqpUrl } from '../receivers/broker-url.js';
import { AmqpLease } from './amqp-lease.js';
import { gateCameras } from './camera-gate.js';
import { HaCoordinator } from './coordinator.js';
import { declarePeerQueues } from './peer-queues.js';
import type { LeaseBackend } from './lease.js';
import { haSettings, type HaSettings } from './settings.js';

/** The lease on the broker the kernel already uses: RabbitMQ's exclusive queue, or Redis's SET NX PX. */
export async function leaseFor(config: ResolvedConfig, configDir: string, settings: HaSettings, receiver: unknown, logger: Logger): Promise<LeaseBackend> {
  if (brokerKind(config.broker) === 'redis') {
    const { RedisLease } = await import('./redis-lease.js');
    const options = typeof (receiver as { clientOptions?: unknown }).clientOptions === 'function'
      ? (receiver as { clientOptions(): RedisOptions }).clientOptions()
      : (await import('../receivers/redis.js')).RedisReceiver.prototype.clientOptions.call(receiver);
    return new RedisLease(options, settings.group, settings.node, settings.lease, logger);
  }
  return new AmqpLease(amqpConnectOptions(parseAmqpUrl(config.broker), config.receiver, configDir), settings.group, settings.node, settings.lease, logger);
}

/** HA for a built kernel: its cameras shutter only through the leader's gate; call start() after the kernel's. */
export async function setUpHa(config: ResolvedConfig, configDir: string, kernel: Kernel, logger: Logger): Promise<HaCoordinator | null> {
  if (config.ha === undefined) return null;
  const settings = haSettings(config.ha);
  const log = logger.child({ component: 'ha' });
  const coordinator = new HaCoordinator(await leaseFor(config, configDir, settings, kernel.receiver, log), settings, log);
  gateCameras(kernel.cameras, coordinator);
  kernel.ha = coordinator;
  if (brokerKind(config.broker) === 'amqp') await declarePeerQueues(config, configDir, settings, log);
  log.info({ group: settings.group, node: settings.node, leaseSecs: settings.lease, backend: brokerKind(config.broker),
    queue: config.receiver.queue ?? null }, 'HA: standing by until this node holds the lease');
  return coordinator;
}
