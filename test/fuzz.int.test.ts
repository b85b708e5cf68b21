// Hostile input: 10,000 malformed messages interleaved with a valid captured stream. The kernel must
// not crash, memory stays bounded, every bad message is counted by reason, and the final snapshot
// equals Celery's golden for the valid stream alone.
import assert from 'node:assert/strict';
import { waitUntil } from '@evcam/camera-testkit';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { diffAgainstGolden, formatDiffs, readJson, type Golden } from './helpers/golden.js';
import { startKernel } from './helpers/kernel-process.js';
import { fixture } from './helpers/paths.js';
import { createVhost, declareCeleryev, listQueues } from './helpers/rabbit.js';
import { captured, freePort, waitForHttp, readLatest, scrape, withoutLiveFields } from './helpers/reliability.js';
import { prng } from './helpers/prng.js';

interface Message { routingKey: string; body: Buffer; contentType?: string; contentEncoding?: string; headers?: Record<string, unknown>; reason?: string }

function malformed(validBodies: string[], random: () => number): Message[] {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const json = (value: unknown, reason: string, extra: Partial<Message> = {}): Message =>
    ({ routingKey: 'task.fuzz', body: Buffer.from(JSON.stringify(value)), contentType: 'application/json', contentEncoding: 'utf-8', reason, ...extra });
  const task = (fields: Record<string, unknown>) => ({ type: 'task-started', uuid: `fuzz-${int(1e9)}`, hostname: 'fuzz@lab', timestamp: 1795514300.5, ...fields });
  const out: Message[] = [];
  const add = (n: number, make: (i: number) => Message) => { for (let i = 0; i < n; i++) out.push(make(i)); };

  // Random bytes; the leading 0xff is never valid UTF-8 JSON.
  add(2000, () => {
    const bytes = Buffer.alloc(1 + int(300));
    for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
    bytes[0] = 0xff;
    return { routingKey: 'worker.fuzz', body: bytes, contentType: 'application/json', contentEncoding: 'utf-8', reason: 'invalid-json' };
  });
  // Truncated JSON: a strict prefix of a real event message.
  add(2000, () => {
    const body = pick(validBodies);
    return { routingKey: 'task.fuzz', body: Buffer.from(body.slice(0, int(body.length))), contentType: 'application/json', contentEncoding: 'utf-8', reason: 'invalid-json' };
  });
  // Wrong field types.
  const wrong = [
    { timestamp: { at: 1 } }, { timestamp: true }, { timestamp: [1] }, { uuid: 42 }, { uuid: '' }, { hostname: 7 }, { hostname: { h: 1 } },
    { clock: 'tick' }, { clock: null }, { utcoffset: 'UTC' },
  ];
  add(1000, () => json(task(pick(wrong)), 'bad-field-type'));
  // Numbers as strings.
  add(1000, (i) => (i % 3 === 2
    ? json({ type: 'worker-heartbeat', hostname: 'fuzz@lab', timestamp: 1795514300.5, freq: '2.0' }, 'bad-field-type')
    : json(task(i % 3 === 0 ? { timestamp: '1795514300.5' } : { clock: '12' }), 'bad-field-type')));
  // Missing ids.
  add(1000, (i) => {
    const e = i % 3 === 2 ? { type: 'worker-online', hostname: 'fuzz@lab', timestamp: 1795514300.5 } : task({});
    delete (e as Record<string, unknown>)[i % 3 === 0 ? 'uuid' : 'hostname'];
    return json(e, 'missing-field');
  });
  add(300, () => { const e = task({}) as Record<string, unknown>; delete e.type; return json(e, 'missing-type'); });
  // Malformed types (a well-formed type of an unknown group is a valid Celery event, so not here).
  const badTypes = ['bogus', '', 42, null, '-started', ['task-sent'], {}, 'tasksucceeded'];
  add(700, () => json(task({ type: pick(badTypes) }), 'bad-type'));
  add(497, () => json(pick([42, 'task-sent', null, true, 3.14]), 'not-an-event'));
  // Not JSON: pickle (never deserialized), yaml, msgpack, raw, none.
  const types = ['application/x-python-serialize', 'application/x-yaml', 'application/x-msgpack', 'application/data', 'text/plain', undefined];
  add(1000, () => ({
    routingKey: 'task.fuzz', body: Buffer.from('\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x04type\x94\x8c\x0ctask-started\x94s.', 'latin1'),
    contentType: pick(types), contentEncoding: 'binary', reason: 'content-type',
  }));
  add(200, () => json(task({}), 'encoding', { contentEncoding: pick(['binary', 'utf-16', 'latin-1']) }));
  add(200, (i) => json(task({}), 'compression', { headers: { compression: i % 2 ? 'application/x-lzma' : 'application/x-gzip' } }));
  // 10,000-deep nesting: inside an event, and as a whole body.
  const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
  add(50, () => ({ ...json({}, 'too-deep'), body: Buffer.from(`{"type":"task-received","uuid":"deep","hostname":"fuzz@lab","timestamp":1795514300.5,"kwargs":${deep}}`) }));
  add(50, () => ({ ...json({}, 'not-an-event'), body: Buffer.from(deep) }));
  // 10 MB bodies (receiver.maxBodyBytes is 8 MiB).
  add(3, () => ({ ...json({}, 'too-large'), body: Buffer.alloc(10 * 1024 * 1024, 0x20) }));
  return out;
}

/** Each bad message lands at a random place; the valid stream keeps its order. */
function interleave(valid: Message[], bad: Message[], random: () => number): Message[] {
  const slots = bad.map((m) => ({ at: random() * valid.length, m }));
  slots.sort((a, b) => a.at - b.at);
  const out: Message[] = [];
  let s = 0;
  valid.forEach((m, i) => {
    while (s < slots.length && slots[s].at < i) out.push(slots[s++].m);
    out.push(m);
  });
  while (s < slots.length) out.push(slots[s++].m);
  return out;
}

async function publish(url: string, messages: Message[]): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  for (const m of messages) {
    ch.publish('celeryev', m.routingKey, m.body, { contentType: m.contentType, contentEncoding: m.contentEncoding, headers: m.headers, deliveryMode: 1 });
  }
  await ch.waitForConfirms();
  await conn.close();
}

describe('hostile input', () => {
  let vhost: ReturnType<typeof createVhost>;
  before(async () => { vhost = createVhost('evcam-fuzz'); await declareCeleryev(vhost.url); });
  after(() => vhost.remove());

  test('10,000 malformed messages interleaved with a valid stream: counted by reason, golden unchanged, memory bounded', async () => {
    const random = prng(20240607);
    const valid: Message[] = captured().map((c) => ({
      routingKey: c.routing_key, body: Buffer.from(c.body, 'utf8'), contentType: c.properties.content_type,
      contentEncoding: c.properties.content_encoding, headers: c.properties.application_headers,
    }));
    const bad = malformed(valid.map((m) => m.body.toString('utf8')), random);
    assert.equal(bad.length, 10_000);
    const expected = new Map<string, number>();
    for (const m of bad) expected.set(m.reason as string, (expected.get(m.reason as string) ?? 0) + 1);
    const stream = interleave(valid, bad, random);

    const dir = mkdtempSync(join(tmpdir(), 'evcam-fuzz-'));
    const port = await freePort();
    const kernel = startKernel(['-b', vhost.url, '--queue', 'evcam-fuzz', '--camera', 'file', '--camera-option', `dir=${dir}`,
      '--camera-option', 'history=false', '-F', '0.5', '--http-port', String(port), '-l', 'warning']);
    try {
      await waitForHttp(kernel, port);
      let maxRss = 0;
      const sampler = setInterval(() => {
        scrape(port).then((m) => { maxRss = Math.max(maxRss, m.get('process_resident_memory_bytes') ?? 0); }, () => {});
      }, 200);
      try {
        await publish(vhost.url, stream);
        await waitUntil(async () => (await scrape(port)).get('evcam_messages_received_total') === stream.length, 'every message received', { timeoutMs: 120_000 });
      } finally {
        clearInterval(sampler);
      }
      const metrics = await scrape(port);
      for (const [reason, n] of expected) assert.equal(metrics.get(`evcam_bad_messages_total{reason="${reason}"}`), n, `bad messages "${reason}"`);
      const countedBad = [...metrics].filter(([k]) => k.startsWith('evcam_bad_messages_total')).reduce((sum, [, v]) => sum + v, 0);
      assert.equal(countedBad, 10_000, 'no bad message uncounted or counted twice');
      assert.ok(maxRss > 0 && maxRss < 400 * 1024 * 1024, `RSS stayed bounded (max ${(maxRss / 2 ** 20).toFixed(0)} MiB)`);
      await waitUntil(() => listQueues(vhost.vhost).find((q) => q.name === 'evcam-fuzz')?.messages === 0, 'every message acked', { timeoutMs: 10_000 });
      assert.equal(await kernel.stop('SIGTERM'), 0, kernel.stderr().slice(-3000));
      const ours = withoutLiveFields((await readLatest(join(dir, 'latest.json'))) as Golden);
      const diffs = diffAgainstGolden(ours, withoutLiveFields(readJson<Golden>(fixture('rabbitmq-5.2.6.golden.json'))));
      assert.equal(diffs.length, 0, formatDiffs(diffs));
      assert.match(kernel.stderr(), /refusing event messages that are not JSON \(pickle and other serializers are never deserialized\)/);
      console.log(`fuzz: ${stream.length} messages, max RSS ${(maxRss / 2 ** 20).toFixed(0)} MiB`);
    } finally {
      await kernel.stop('SIGKILL');
    }
  });
});
