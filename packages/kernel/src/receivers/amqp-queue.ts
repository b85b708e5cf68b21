import type { Options } from 'amqplib';
import { EvcamError, ErrorCodes } from '@evcam/camera-api';
import type { ReceiverConfig } from '../config/schema.js';

/** kombu's seconds → milliseconds for queue arguments: int(float(v) * 1000). */
const millis = (seconds: number): number => Math.trunc(seconds * 1000);

/** The receiver's queue: the named no-loss queue, else Celery's `<event_queue_prefix>.<node_id>`. */
export function eventQueueName(s: ReceiverConfig, nodeId: string): string {
  return s.queue ?? `${s.queuePrefix}.${nodeId}`;
}

/**
 * Celery's EventReceiver queue: transient, auto-delete unless durable (5.6), x-message-ttl and
 * x-expires from event_queue_ttl / event_queue_expires (omitted when null).
 */
export function celeryQueueOptions(s: ReceiverConfig): Options.AssertQueue {
  if (s.durable && s.exclusive) {
    throw new EvcamError(ErrorCodes.CONFIG_INVALID, 'receiver.durable and receiver.exclusive cannot both be true (Celery refuses it too).');
  }
  const args: Record<string, unknown> = {};
  if (s.queueTtl !== null) args['x-message-ttl'] = millis(s.queueTtl);
  if (s.queueExpires !== null) args['x-expires'] = millis(s.queueExpires);
  return { durable: s.durable, autoDelete: !s.durable, exclusive: s.exclusive, arguments: args };
}

/**
 * No-loss mode's named queue: durable, kept across restarts, but expiring once forgotten
 * (namedQueueExpires) and optionally bounded (maxLength, with what RabbitMQ drops at the bound).
 * No message TTL: what waits in it is what no-loss mode keeps.
 */
export function namedQueueOptions(s: ReceiverConfig): Options.AssertQueue {
  const args: Record<string, unknown> = {};
  if (s.namedQueueExpires !== null) args['x-expires'] = millis(s.namedQueueExpires);
  if (s.maxLength !== undefined) {
    args['x-max-length'] = s.maxLength;
    args['x-overflow'] = s.overflow;
  }
  return { durable: true, autoDelete: false, exclusive: false, arguments: args };
}
