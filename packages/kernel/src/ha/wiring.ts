import type { Logger } from '@evcam/camera-api';
import type { RedisOptions } from 'ioredis';
import type { ResolvedConfig } from '../config/schema.js';
import type { KernelService } from '../container/services.js';
import { amqpConnectOptions } from '../receivers/amqp.js';
import { brokerKind, parseAmqpUrl } from '../receivers/broker-url.js';
import { parseRedisUrl } from '../receivers/redis-url.js';
import { AmqpLease } from './amqp-lease.js';
import type { HaCoordinator } from './coordinator.js';
import type { LeaseBackend } from './lease.js';
import { declarePeerQueues } from './peer-queues.js';
import { RedisLease } from './redis-lease.js';
import type { HaSettings } from './settings.js';

/** The lease on the broker the kernel already uses: RabbitMQ's exclusive queue, or Redis's SET NX PX. */
export function leaseFor(config: ResolvedConfig, configDir: string, settings: HaSettings, receiver: unknown, logger: Logger): LeaseBackend {
  if (brokerKind(config.broker) === 'redis') {
    // The receiver's own options (TLS, socket, Sentinel); a replaced receiver: what the URL says.
    const options = typeof (receiver as { clientOptions?: unknown }).clientOptions === 'function'
      ? (receiver as { clientOptions(): RedisOptions }).clientOptions()
      : redisOptionsFromUrl(config);
    return new RedisLease(options, settings.group, settings.node, settings.lease, logger);
  }
  return new AmqpLease(amqpConnectOptions(parseAmqpUrl(config.broker), config.receiver, configDir), settings.group, settings.node, settings.lease, logger);
}

/**
 * HA as a kernel service: started after the receiver (the node folds before it may
 * lead), stopped after the final shutter (the leader's last snapshot goes out
 * before it gives the lead up).
 */
export class HaService implements KernelService {
  readonly name = 'ha';

  constructor(
    private readonly coordinator: HaCoordinator,
    private readonly config: ResolvedConfig,
    private readonly configDir: string,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const { settings } = this.coordinator;
    if (brokerKind(this.config.broker) === 'amqp') await declarePeerQueues(this.config, this.configDir, settings, this.logger);
    this.logger.info({ group: settings.group, node: settings.node, leaseSecs: settings.lease, backend: brokerKind(this.config.broker),
      queue: this.config.receiver.queue ?? null }, 'HA: standing by until this node holds the lease');
    await this.coordinator.start();
  }

  stop(): Promise<void> {
    return this.coordinator.stop();
  }
}

function redisOptionsFromUrl(config: ResolvedConfig): RedisOptions {
  const u = parseRedisUrl(config.broker);
  const base: RedisOptions = { username: u.username, password: u.password, db: u.db };
  if (u.mode === 'socket') return { ...base, path: u.path };
  if (u.mode === 'sentinel') return { ...base, sentinels: u.sentinels, name: config.receiver.redis.sentinelMaster, sentinelPassword: config.receiver.redis.sentinelPassword };
  return { ...base, host: u.host, port: u.port, ...(u.tls ? { tls: {} } : {}) };
}
