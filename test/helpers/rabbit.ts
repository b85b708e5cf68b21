import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';

export const RABBIT_HOST = '127.0.0.1:5672';

/** A private vhost per test file, so junk never reaches anyone else's `celeryev`. */
export function createVhost(prefix = 'evcam-test'): { vhost: string; url: string; remove: () => void } {
  const vhost = `${prefix}-${randomUUID().slice(0, 8)}`;
  // The vhost and guest's permissions on it in one rabbitmqctl run (each run boots an Erlang VM,
  // ~0.7 s): add_vhost + set_permissions as a definitions import (additive: nothing else changes).
  const definitions = { vhosts: [{ name: vhost }], permissions: [{ user: 'guest', vhost, configure: '.*', write: '.*', read: '.*' }] };
  execFileSync('rabbitmqctl', ['-q', 'import_definitions'], { input: JSON.stringify(definitions), stdio: ['pipe', 'ignore', 'pipe'] });
  return {
    vhost,
    url: `amqp://guest:guest@${RABBIT_HOST}/${encodeURIComponent(vhost)}`,
    remove: () => { try { execFileSync('rabbitmqctl', ['-q', 'delete_vhost', vhost], { stdio: 'ignore' }); } catch { /* gone */ } },
  };
}

/** Celery's celeryev exchange exactly as Celery declares it. */
export async function declareCeleryev(url: string): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  await ch.assertExchange('celeryev', 'topic', { durable: true, autoDelete: false });
  await conn.close();
}

export interface CapturedMessage {
  routing_key: string;
  body: string;
  properties: { content_type?: string; content_encoding?: string; application_headers?: Record<string, unknown>; delivery_mode?: number; priority?: number };
}

/** Publish captured messages (fixture lines) to `celeryev` with their original properties. */
export async function publishCaptured(url: string, messages: CapturedMessage[], exchange = 'celeryev'): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  await ch.assertExchange(exchange, 'topic', { durable: true, autoDelete: false });
  for (const m of messages) {
    const p = m.properties;
    ch.publish(exchange, m.routing_key, Buffer.from(m.body, 'utf8'), {
      contentType: p.content_type, contentEncoding: p.content_encoding, headers: p.application_headers,
      deliveryMode: p.delivery_mode, priority: p.priority,
    });
  }
  await ch.waitForConfirms();
  await conn.close();
}

/** Number of consumers/messages of a queue, via rabbitmqctl. */
export function listQueues(vhost: string): { name: string; messages: number; consumers: number }[] {
  const out = execFileSync('rabbitmqctl', ['-q', 'list_queues', '-p', vhost, 'name', 'messages', 'consumers', '--no-table-headers'], { encoding: 'utf8' });
  return out.trim().split('\n').filter(Boolean).map((line) => {
    const [name, messages, consumers] = line.trim().split(/\s+/);
    return { name, messages: Number(messages), consumers: Number(consumers) };
  });
}

/** A vhost's consumers as RabbitMQ sees them: their queue, whether it waits for acks, and their prefetch. */
export function listConsumers(vhost: string): { queue: string; ackRequired: boolean; prefetch: number }[] {
  const out = execFileSync('rabbitmqctl', ['-q', 'list_consumers', '-p', vhost, 'queue_name', 'ack_required', 'prefetch_count', '--no-table-headers'], { encoding: 'utf8' });
  return out.trim().split('\n').filter(Boolean).map((line) => {
    const [queue, ackRequired, prefetch] = line.trim().split(/\s+/);
    return { queue, ackRequired: ackRequired === 'true', prefetch: Number(prefetch) };
  });
}
