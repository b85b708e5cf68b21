import type { Logger } from '@evcam/camera-api';
import amqp from 'amqplib';
import type { ResolvedConfig } from '../config/schema.js';
import { amqpConnectOptions, declareNamedQueue } from '../receivers/amqp.js';
import { parseAmqpUrl } from '../receivers/broker-url.js';
import type { HaSettings } from './settings.js';

/** `<queue>.<peer>` for each peer, from this node's own `<queue>.<node>`. */
export function peerQueueNames(ownQueue: string, settings: Pick<HaSettings, 'node' | 'peers'>): string[] {
  const base = ownQueue.slice(0, ownQueue.length - settings.node.length - 1);
  return settings.peers.map((peer) => `${base}.${peer}`);
}

/**
 * Declare the peers' no-loss queues (as their own kernels would), so a node that
 * starts later, for the first time, finds every event since this one started and
 * folds to the same State. Best effort: a broker that is down only delays it.
 */
export async function declarePeerQueues(config: ResolvedConfig, configDir: string, settings: HaSettings, logger: Logger): Promise<void> {
  const own = config.receiver.queue;
  if (own === undefined || settings.peers.length === 0) return;
  const names = peerQueueNames(own, settings);
  try {
    const { options, socketOptions } = amqpConnectOptions(parseAmqpUrl(config.broker), config.receiver, configDir);
    const connection = await amqp.connect(options, socketOptions);
    try {
      const channel = await connection.createChannel();
      await channel.assertExchange(config.receiver.exchange, 'topic', { durable: true, autoDelete: false, internal: false });
      for (const name of names) await declareNamedQueue(channel, name, config.receiver);
    } finally {
      await connection.close().catch(() => {});
    }
    logger.info({ queues: names }, 'HA: declared the peers\' queues, so a peer that starts later misses nothing');
  } catch (err) {
    logger.warn({ err, queues: names }, 'HA: could not declare the peers\' queues; a peer starting for the first time begins with what its own queue holds');
  }
}
