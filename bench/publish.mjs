// The publishing side of the ingest benchmarks, always its own process so it is
// never measured with the consumer. Declares Celery's `celeryev` exchange and
// the named durable queues (exactly as the kernel's no-loss mode declares them,
// bound with '#'), then publishes the first N messages of the realistic stream
// with publisher confirms. Prints one JSON line: {messages, events, secs}.
//
//   node bench/publish.mjs --url amqp://.../vhost --messages 100000 [--skip N] [--queue q]...
// (--skip continues the stream where an earlier publish of N messages stopped.)
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { messages } from './lib/stream.mjs';

/** The kernel's no-loss queue arguments (receiver.namedQueueExpires default: 7 days). */
export const NAMED_QUEUE_ARGS = { 'x-expires': 7 * 24 * 3600 * 1000 };
const CONFIRM_EVERY = 5000;

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    messages: { type: 'string' },
    queue: { type: 'string', multiple: true, default: [] },
    skip: { type: 'string', default: '0' },
  },
});
if (!values.url || !values.messages) {
  process.stderr.write('usage: publish.mjs --url AMQP_URL --messages N [--queue NAME]... [--skip N]\n');
  process.exit(64);
}

const conn = await amqp.connect(values.url);
const ch = await conn.createConfirmChannel();
await ch.assertExchange('celeryev', 'topic', { durable: true, autoDelete: false });
for (const q of values.queue) {
  await ch.assertQueue(q, { durable: true, autoDelete: false, exclusive: false, arguments: NAMED_QUEUE_ARGS });
  await ch.bindQueue(q, 'celeryev', '#');
}
const started = performance.now();
let count = 0;
let events = 0;
for (const m of messages(Number(values.messages), Number(values.skip))) {
  // Celery's event messages: transient, JSON, the sender's hostname as the only header.
  const ok = ch.publish('celeryev', m.routingKey, m.body, {
    contentType: 'application/json', contentEncoding: 'utf-8', headers: m.headers, deliveryMode: 1, priority: 0,
  });
  count++;
  events += m.events;
  if (!ok) await new Promise((resolve) => ch.once('drain', resolve));
  if (count % CONFIRM_EVERY === 0) await ch.waitForConfirms();
}
await ch.waitForConfirms();
const secs = (performance.now() - started) / 1000;
await conn.close();
process.stdout.write(`${JSON.stringify({ messages: count, events, secs })}\n`);
