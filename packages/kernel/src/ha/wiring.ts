import type { Logger } from '@evcam/camera-api';
import type { RedisOptions } from 'ioredis';
import type { ResolvedConfig } from '../config/schema.js';
import type { ShutterGate } from '../engine/gate.js';
import type { Kernel } from '../kernel.js';
import { amqpConnectOptions } from '../receivers/amqp.js';
import { brokerKind, parseAmqpUrl } from '../receivers/broker-url.js';
import { parseRedisUrl } from '../receivers/redis-url.js';
import { AmqpLease } from './amqp-lease.js';
import { HaCoordinator } from './coordinator.js';
import { declarePeerQueues } from './peer-queues.js';
import type { LeaseBackend } from './lease.js';
import { haSettings, type HaSettings } from './settings.js';

/** The lease on the broker the kernel already uses: RabbitMQ's exclusive queue, or Redis's SET NX PX. */
export async function leaseFor(config: ResolvedConfig, configDir: string, settings: HaSettings, receiver: unknown, logger: Logger): Promise<LeaseBackend> {
  if (brokerKind(config.broker) === 'redis') {
    const { RedisLease } = await import('./redis-lease.js');
    // The receiver's own options (TLS, socket, Sentinel); a replaced receiver: what the URL says.
    const options = typeof (receiver as { clientOptions?: unknown }).clientOptions === 'function'
      ? (receiver as { clientOptions(): RedisOptions }).clientOptions()
      : redisOptionsFromUrl(config);
    return new RedisLease(options, settings.group, settings.node, settings.lease, logger);
  }
  return new AmqpLease(amqpConnectOptions(parseAmqpUrl(config.broker), config.receiver, configDir), settings.group, settings.node, settings.lease, logger);
}

/** What run() needs for HA: the gate to build the kernel with, and attach() once the kernel exists. */
export interface HaSetup {
  /** Shut until attach() has made a coordinator and it holds the lease. */
  readonly gate: ShutterGate;
  /** Make the coordinator (its lease uses the kernel's receiver settings); call its start() after the kernel's. */
  attach(kernel: Kernel): Promise<HaCoordinator>;
}

/** HA for one run: the engines shutter through the gate, open only while this node holds a valid lease. */
export function prepareHa(config: ResolvedConfig, configDir: string, logger: Logger): HaSetup | null {
  if (config.ha === undefined) return null;
  const settings = haSettings(config.ha);
  const log = logger.child({ component: 'ha' });
  let coordinator: HaCoordinator | null = null;
  const gate: ShutterGate = {
    isOpen: () => coordinator?.isOpen() ?? false,
    get epoch() { return coordinator?.epoch; },
  };
  return {
    gate,
    async attach(kernel) {
      coordinator = new HaCoordinator(await leaseFor(config, configDir, settings, kernel.receiver, log), settings, log);
      kernel.ha = coordinator;
      if (brokerKind(config.broker) === 'amqp') await declarePeerQueues(config, configDir, settings, log);
      log.info({ group: settings.group, node: settings.node, leaseSecs: settings.lease, backend: brokerKind(config.broker),
        queue: config.receiver.queue ?? null }, 'HA: standing by until this node holds the lease');
      return coordinator;
    },
  };
}

function redisOptionsFromUrl(config: ResolvedConfig): RedisOptions {
  const u = parseRedisUrl(config.broker);
  const base: RedisOptions = { username: u.username, password: u.password, db: u.db };
  if (u.mode === 'socket') return { ...base, path: u.path };
  if (u.mode === 'sentinel') return { ...base, sentinels: u.sentinels, name: config.receiver.redis.sentinelMaster, sentinelPassword: config.receiver.redis.sentinelPassword };
  return { ...base, host: u.host, port: u.port, ...(u.tls ? { tls: {} } : {}) };
}
