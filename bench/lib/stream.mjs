// A realistic, endless Celery event stream for the benchmarks, made from the
// shipped RabbitMQ capture (the fixture's mix: task.multi batches, single
// task-sent, heartbeats, retries, revokes, custom events), byte for byte as
// Celery's Python json wrote it. Each pass over the capture is a "round": task
// uuids are rotated so every round's tasks are new tasks, timestamps move on by
// the capture's length, and worker names rotate over WORKER_GROUPS so
// heartbeats come from several workers.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURE = fileURLToPath(new URL('../../test/fixtures/rabbitmq-5.2.6.jsonl', import.meta.url));
export const WORKER_GROUPS = 4;
const UUID_RE = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-)([0-9a-f]{12})/g;
const TIMESTAMP_RE = /"timestamp": ([0-9.e+-]+)/g;
const HOST_RE = /"hostname": "([^"@]*)@/g;

function loadCapture() {
  const lines = readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  let first = Infinity;
  let last = -Infinity;
  let events = 0;
  const messages = lines.map((l) => {
    const parsed = JSON.parse(l.body);
    const list = Array.isArray(parsed) ? parsed : [parsed];
    for (const ev of list) {
      first = Math.min(first, ev.timestamp);
      last = Math.max(last, ev.timestamp);
    }
    events += list.length;
    return { routingKey: l.routing_key, headers: l.properties.application_headers ?? {}, body: l.body, events: list.length };
  });
  return { messages, events, span: Math.ceil(last - first) + 1 };
}

/** The last 48 bits of every uuid move on by an odd step per round: distinct tasks, same links between them. */
function rotateUuids(text, round) {
  return text.replace(UUID_RE, (_, head, tail) =>
    head + ((parseInt(tail, 16) + round * 0x9e3779b1) % 0x1000000000000).toString(16).padStart(12, '0'));
}

function rotateHost(host, round) {
  const g = round % WORKER_GROUPS;
  const at = host.indexOf('@');
  return g === 0 || at < 0 ? host : `${host.slice(0, at)}-${g}${host.slice(at)}`;
}

/**
 * The generator: round(r) gives that round's messages as AMQP publishes them,
 * {routingKey, headers, body: Buffer, events}.
 */
export function makeRounds() {
  const capture = loadCapture();
  const round = (r) => capture.messages.map((m) => {
    let body = m.body;
    if (r > 0) {
      const shift = r * capture.span;
      const g = r % WORKER_GROUPS;
      body = rotateUuids(body, r).replace(TIMESTAMP_RE, (_, ts) => `"timestamp": ${Number(ts) + shift}`);
      if (g !== 0) body = body.replace(HOST_RE, (_, name) => `"hostname": "${name}-${g}@`);
    }
    const hostname = m.headers.hostname;
    return {
      routingKey: m.routingKey,
      headers: typeof hostname === 'string' ? { ...m.headers, hostname: rotateHost(hostname, r) } : m.headers,
      body: Buffer.from(body),
      events: m.events,
    };
  });
  return { round, messagesPerRound: capture.messages.length, eventsPerRound: capture.events, eventsOf: capture.messages.map((m) => m.events) };
}

/** `count` messages of the endless stream after the first `skip`, generated round by round. */
export function* messages(count, skip = 0) {
  const { round, messagesPerRound } = makeRounds();
  let left = count;
  let offset = skip % messagesPerRound;
  for (let r = Math.floor(skip / messagesPerRound); left > 0; r++) {
    const batch = round(r);
    for (let i = offset; i < batch.length; i++) {
      if (left-- <= 0) return;
      yield batch[i];
    }
    offset = 0;
  }
}

/** How many messages it takes to carry at least `events` events, and how many events they carry. */
export function messagesFor(events) {
  const { messagesPerRound, eventsPerRound, eventsOf } = makeRounds();
  const full = Math.floor(events / eventsPerRound);
  let have = full * eventsPerRound;
  let count = full * messagesPerRound;
  for (const n of eventsOf) {
    if (have >= events) break;
    have += n;
    count++;
  }
  return { messages: count, events: have };
}
