// Shared bits of the default-checkpoint and high-availability tests: a captured stream with
// malformed messages and custom (valid) events interleaved, published at a steady pace.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import type { RecordedShutter } from './cameras/recorder.js';
import type { Golden } from './golden.js';
import type { CapturedMessage } from './rabbit.js';
import { prng } from './prng.js';

export const RECORDER_CAMERA = new URL('./cameras/recorder.js', import.meta.url).pathname;

export interface Outgoing { routingKey: string; body: Buffer; contentType?: string; contentEncoding?: string; headers?: Record<string, unknown> }

/**
 * The captured stream in order with `bad` malformed messages (random bytes, truncated JSON,
 * no type, a malformed type) and `custom` well-formed events of an unknown group
 * (valid in Celery: counted in event_count, otherwise ignored) at the end; the bad ones at seeded random places.
 */
export function hostileStream(valid: CapturedMessage[], opts: { bad: number; custom: number; seed: number }): Outgoing[] {
  const random = prng(opts.seed);
  const json = (value: unknown): Outgoing => ({ routingKey: 'task.odd', body: Buffer.from(JSON.stringify(value)), contentType: 'application/json', contentEncoding: 'utf-8' });
  const extra: Outgoing[] = [];
  for (let i = 0; i < opts.bad; i++) {
    const body = valid[Math.floor(random() * valid.length)].body;
    switch (i % 4) {
      case 0: extra.push({ ...json(null), body: Buffer.from([0xff, ...Array.from({ length: 40 }, () => Math.floor(random() * 256))]) }); break;
      case 1: extra.push({ ...json(null), body: Buffer.from(body.slice(0, Math.floor(random() * body.length))) }); break;
      case 2: extra.push(json({ uuid: `bad-${i}`, hostname: 'odd@lab', timestamp: 1795514300.5 })); break;
      default: extra.push(json({ type: 'bogus', uuid: `bad-${i}`, hostname: 'odd@lab', timestamp: 1795514300.5 })); break;
    }
  }
  const slots = extra.map((m) => ({ at: random() * valid.length, m })).sort((a, b) => a.at - b.at);
  const out: Outgoing[] = [];
  let s = 0;
  valid.forEach((v, i) => {
    while (s < slots.length && slots[s].at < i) out.push(slots[s++].m);
    const p = v.properties;
    out.push({ routingKey: v.routing_key, body: Buffer.from(v.body, 'utf8'), contentType: p.content_type, contentEncoding: p.content_encoding, headers: p.application_headers });
  });
  while (s < slots.length) out.push(slots[s++].m);
  // After the captured stream: each one moves the receiver's Lamport clock, which later task-sent clocks would show.
  for (let i = 0; i < opts.custom; i++) out.push(json({ type: 'custom-hello', hostname: 'odd@lab', timestamp: 1795514300.5 + i, n: i }));
  return out;
}

/**
 * Publish to `celeryev` in chunks of `chunk` with `pauseMs` between them (a steady pace);
 * `afterChunk(i)` runs after chunk i was confirmed (the test kills or pauses a kernel there).
 */
export async function publishSteadily(url: string, messages: Outgoing[],
  opts: { chunk: number; pauseMs: number; afterChunk?: (index: number, sent: number) => Promise<void> | void }): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  await ch.assertExchange('celeryev', 'topic', { durable: true, autoDelete: false });
  try {
    for (let i = 0, n = 0; n < messages.length; i++) {
      for (const m of messages.slice(n, n + opts.chunk)) {
        ch.publish('celeryev', m.routingKey, m.body, { contentType: m.contentType, contentEncoding: m.contentEncoding, headers: m.headers, deliveryMode: 1 });
      }
      n += opts.chunk;
      await ch.waitForConfirms();
      await opts.afterChunk?.(i, Math.min(n, messages.length));
      if (opts.pauseMs > 0) await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  } finally {
    await conn.close();
  }
}

/** The golden with the custom events added to event_count (they count, and change nothing else). */
export function goldenWithCustom(golden: Golden, custom: number): Golden {
  return { ...golden, event_count: golden.event_count + custom };
}

/** Every line the recorder cameras wrote, in the order they were written. */
export function recorded(log: string): RecordedShutter[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RecordedShutter);
}

/** A config file for one HA node: the file camera (for the final State) plus the recorder (for who wrote when). */
export function haNodeConfig(dir: string, node: string, opts: { broker: string; group: string; log: string; lease?: number; freq?: number; httpPort: number; nodes?: string[]; extraCameras?: unknown[] }): string {
  const file = join(dir, `evcam.${node}.config.mjs`);
  writeFileSync(file, `export default ${JSON.stringify({
    broker: opts.broker,
    freq: opts.freq ?? 0.2,
    cameras: [{ use: 'file', options: { dir: join(dir, node, 'snapshots') } }, { use: RECORDER_CAMERA, options: { log: opts.log, node } }, ...(opts.extraCameras ?? [])],
    ha: { group: opts.group, node, lease: opts.lease ?? 2, ...(opts.nodes ? { nodes: opts.nodes } : {}) },
    http: { port: opts.httpPort },
    log: { level: 'info' },
  }, null, 2)};\n`);
  return file;
}
