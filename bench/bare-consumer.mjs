// The yardstick of the ingest benchmark: a bare amqplib consumer that only
// reads (no-ack, no decoding), timed from consume-ok to the last expected
// message. Its own process, like the kernel it is compared with.
// Prints one JSON line: {messages, secs, cpuSecs}.
//
//   node bench/bare-consumer.mjs --url amqp://.../vhost --queue q --messages N
import { parseArgs } from 'node:util';
import amqp from 'amqplib';

const { values } = parseArgs({ options: {
  url: { type: 'string' }, queue: { type: 'string' }, messages: { type: 'string' },
  // For comparison only: acknowledge like the kernel's no-loss mode (prefetch, multiple-acks every N).
  prefetch: { type: 'string' }, 'ack-every': { type: 'string' },
} });
if (!values.url || !values.queue || !values.messages) {
  process.stderr.write('usage: bare-consumer.mjs --url AMQP_URL --queue NAME --messages N\n');
  process.exit(64);
}
const expected = Number(values.messages);
const conn = await amqp.connect(values.url);
const ch = await conn.createChannel();
const ackEvery = values['ack-every'] === undefined ? 0 : Number(values['ack-every']);
if (ackEvery > 0) await ch.prefetch(Number(values.prefetch ?? 2000));
let seen = 0;
let bytes = 0;
let started = 0;
const done = new Promise((resolve) => {
  ch.consume(values.queue, (msg) => {
    if (msg === null) return;
    bytes += msg.content.length; // touch the body, as any reader would
    ++seen;
    if (ackEvery > 0 && (seen % ackEvery === 0 || seen === expected)) ch.ack(msg, true);
    if (seen === expected) resolve(performance.now());
  }, { noAck: ackEvery === 0 }).then(() => { started = performance.now(); });
});
const finished = await done;
await conn.close();
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ messages: seen, bytes, secs: (finished - started) / 1000, cpuSecs: (cpu.user + cpu.system) / 1e6 })}\n`);
