// The decoder: JSON only (never pickle or another serializer), bounded size and depth,
// kombu's compression header and JSON type envelopes. See celery-events §1.4-1.5.
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { decodeBody, DEFAULT_DECODE_LIMITS, type Decoded, type RawMessage } from './decode.js';
import { openKombuEnvelope } from './kombu-envelope.js';

const JSON_TYPE = 'application/json';
const event = { type: 'task-succeeded', uuid: 'u1', hostname: 'w@h', timestamp: 1.5, clock: 3 };
/** Why a decode failed, or null when it succeeded. */
const refusal = (d: Decoded): string | null => (d.ok ? null : d.reason);
const decode = (msg: Partial<RawMessage>, limits = DEFAULT_DECODE_LIMITS) =>
  decodeBody({ body: Buffer.from(JSON.stringify(event)), contentType: JSON_TYPE, contentEncoding: 'utf-8', ...msg }, limits);

describe('decodeBody', () => {
  test('one JSON event, from a Buffer or a string', () => {
    assert.deepEqual(decode({}), { ok: true, value: event });
    assert.deepEqual(decode({ body: JSON.stringify(event) }), { ok: true, value: event });
  });

  test('a task.multi batch is an array of events, kept in order; [] decodes as an empty batch', () => {
    const batch = [event, { ...event, uuid: 'u2' }];
    assert.deepEqual(decode({ body: Buffer.from(JSON.stringify(batch)) }), { ok: true, value: batch });
    assert.deepEqual(decode({ body: '[]' }), { ok: true, value: [] });
  });

  test('only JSON content types are accepted (case-insensitive, with or without charset)', () => {
    for (const contentType of ['application/json', 'application/json; charset=utf-8', 'Application/JSON']) {
      assert.equal(decode({ contentType }).ok, true, contentType);
    }
    for (const contentType of ['application/x-python-serialize', 'application/x-msgpack', 'application/x-yaml', 'application/data', 'text/plain']) {
      assert.deepEqual(decode({ contentType }), { ok: false, reason: 'content-type', detail: contentType });
    }
    assert.deepEqual(decode({ contentType: undefined }), { ok: false, reason: 'content-type', detail: '(none)' });
  });

  test('a pickle body is refused before anything reads it', () => {
    const pickle = Buffer.from('80049500000000000000007d94288c0474797065948c0e7461736b2d73756363656564656494752e', 'hex');
    assert.deepEqual(decode({ body: pickle, contentType: 'application/x-python-serialize', contentEncoding: 'binary' }),
      { ok: false, reason: 'content-type', detail: 'application/x-python-serialize' });
  });

  test('utf-8 (any spelling) or no content-encoding; anything else is refused', () => {
    for (const contentEncoding of ['utf-8', 'utf8', 'UTF-8', undefined]) assert.equal(decode({ contentEncoding }).ok, true, String(contentEncoding));
    assert.deepEqual(decode({ contentEncoding: 'binary' }), { ok: false, reason: 'encoding', detail: 'binary' });
    assert.deepEqual(decode({ contentEncoding: 'latin-1' }), { ok: false, reason: 'encoding', detail: 'latin-1' });
  });

  test('kombu compression: "gzip" (a zlib stream, or real gzip) and brotli are undone; others are refused', () => {
    const raw = Buffer.from(JSON.stringify(event));
    for (const body of [deflateSync(raw), gzipSync(raw)]) {
      assert.deepEqual(decode({ body, compression: 'application/x-gzip' }), { ok: true, value: event });
    }
    assert.deepEqual(decode({ body: brotliCompressSync(raw), compression: 'application/x-brotli' }), { ok: true, value: event });
    for (const compression of ['application/x-bz2', 'application/x-lzma', 'application/zstd']) {
      assert.deepEqual(decode({ compression }), { ok: false, reason: 'compression', detail: compression });
    }
    assert.deepEqual(decode({ body: Buffer.from('not zlib'), compression: 'application/x-gzip' }),
      { ok: false, reason: 'compression', detail: 'corrupt application/x-gzip' });
  });

  test('too large: refused before parsing, and again after inflating', () => {
    const limits = { ...DEFAULT_DECODE_LIMITS, maxBodyBytes: 200 };
    assert.deepEqual(decode({ body: Buffer.alloc(201, 0x20) }, limits), { ok: false, reason: 'too-large', detail: '201 bytes' });
    assert.equal(refusal(decode({ body: Buffer.alloc(200, 0x20) }, limits)), 'invalid-json', 'exactly the limit is not too large');
    const bomb = deflateSync(Buffer.from(JSON.stringify({ ...event, pad: 'x'.repeat(5000) })));
    assert.ok(bomb.length <= 200);
    const inflated = decode({ body: bomb, compression: 'application/x-gzip' }, limits);
    assert.ok(!inflated.ok);
    assert.equal(inflated.reason, 'too-large');
    assert.match(inflated.detail ?? '', /inflated/);
  });

  test('not JSON', () => {
    assert.equal(refusal(decode({ body: '{"type": "task-sent",' })), 'invalid-json');
    assert.equal(refusal(decode({ body: '' })), 'invalid-json');
  });

  test('kombu >= 5.3 JSON type envelopes become plain values; uuid becomes its dashed form', () => {
    const body = JSON.stringify({
      ...event,
      eta: { __type__: 'datetime', __value__: '2024-05-01T12:00:00+00:00' },
      kwargs: { id: { __type__: 'uuid', __value__: { hex: '0123456789abcdef0123456789abcdef' } }, n: { __type__: 'decimal', __value__: '1.5' } },
      list: [{ __type__: 'bytes', __value__: 'abc' }],
      notEnvelope: { __type__: 'x', __value__: 1, extra: true },
    });
    const decoded = decode({ body });
    assert.deepEqual(decoded, { ok: true, value: {
      ...event, eta: '2024-05-01T12:00:00+00:00',
      kwargs: { id: '01234567-89ab-cdef-0123-456789abcdef', n: '1.5' }, list: ['abc'],
      notEnvelope: { __type__: 'x', __value__: 1, extra: true },
    } });
  });

  test('nesting deeper than maxDepth is refused while unwrapping envelopes', () => {
    let deep: unknown = { __type__: 'decimal', __value__: '1' };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    assert.equal(refusal(decode({ body: JSON.stringify({ ...event, deep }) })), 'too-deep');
    let shallow: unknown = { __type__: 'decimal', __value__: '1' };
    for (let i = 0; i < 20; i++) shallow = { d: shallow };
    assert.equal(refusal(decode({ body: JSON.stringify({ ...event, shallow }) })), null);
  });
});

describe('openKombuEnvelope (Redis transport)', () => {
  const envelope = (over: Record<string, unknown> = {}) => JSON.stringify({
    body: Buffer.from(JSON.stringify(event)).toString('base64'), 'content-encoding': 'utf-8', 'content-type': JSON_TYPE,
    headers: { hostname: 'w@h' }, properties: { body_encoding: 'base64', delivery_mode: 1 }, ...over,
  });

  test('opens the base64 body with its content type and encoding', () => {
    const msg = openKombuEnvelope(envelope());
    assert.ok(msg !== null);
    assert.deepEqual([msg.contentType, msg.contentEncoding, msg.compression], [JSON_TYPE, 'utf-8', undefined]);
    assert.deepEqual(decodeBody(msg, DEFAULT_DECODE_LIMITS), { ok: true, value: event });
    assert.deepEqual(openKombuEnvelope(Buffer.from(envelope())), msg, 'a Buffer is read as UTF-8 text');
  });

  test('a body without body_encoding is the text itself; the compression header is passed on', () => {
    const msg = openKombuEnvelope(envelope({ body: JSON.stringify(event), properties: {}, headers: { compression: 'application/x-gzip' } }));
    assert.deepEqual(msg, { body: JSON.stringify(event), contentType: JSON_TYPE, contentEncoding: 'utf-8', compression: 'application/x-gzip' });
  });

  test('a pickle envelope opens, and the decoder then refuses it', () => {
    const msg = openKombuEnvelope(envelope({ 'content-type': 'application/x-python-serialize', 'content-encoding': 'binary' }));
    assert.equal(refusal(decodeBody(msg!, DEFAULT_DECODE_LIMITS)), 'content-type');
  });

  test('a malformed envelope is null', () => {
    for (const bad of ['not json', '42', 'null', '[]', JSON.stringify({ body: 5 }), JSON.stringify({ 'content-type': JSON_TYPE })]) {
      assert.equal(openKombuEnvelope(bad), null, bad);
    }
  });
});
