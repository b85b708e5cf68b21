import { inflateSync, brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { CeleryEvent } from '../state/records.js';
import type { BadInputReason } from './metrics.js';

/** The parts of a broker message the decoder needs. */
export interface RawMessage {
  body: Buffer | string;
  contentType?: string;
  contentEncoding?: string;
  /** kombu's `compression` header, if any. */
  compression?: string;
}

export interface DecodeLimits {
  /** Bodies larger than this are refused (bytes). */
  maxBodyBytes: number;
  /** Stored values nested deeper than this are refused. */
  maxDepth: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxBodyBytes: 8 * 1024 * 1024, maxDepth: 32 };

export type Decoded = { ok: true; value: unknown } | { ok: false; reason: BadInputReason; detail?: string };

const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);

/** kombu's compression header values → how to undo them. */
const DECOMPRESS: Record<string, ((b: Buffer) => Buffer) | undefined> = {
  'application/x-gzip': (b) => (b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : inflateSync(b)), // kombu's "gzip" is a zlib stream
  'application/x-brotli': brotliDecompressSync,
};

/** Why a body was refused; decodeMessage returns one instead of a value (never allocated on success). */
export class DecodeFailure {
  constructor(readonly reason: BadInputReason, readonly detail?: string) {}
}

/**
 * Turn a message body into JSON, refusing everything that is not plain JSON.
 * Pickle and other unsafe serializers are never deserialized.
 */
export function decodeBody(msg: RawMessage, limits: DecodeLimits): Decoded {
  const value = decodeMessage(msg.body, msg.contentType, msg.contentEncoding, msg.compression, limits);
  return value instanceof DecodeFailure ? { ok: false, reason: value.reason, detail: value.detail } : { ok: true, value };
}

/** decodeBody for the hot path: the message's parts as arguments, the value or a DecodeFailure back. */
export function decodeMessage(body: Buffer | string, contentType: string | undefined, encoding: string | undefined,
  compression: string | undefined, limits: DecodeLimits): unknown {
  if (contentType !== 'application/json' && !(contentType !== undefined && JSON_TYPES.has(contentType.toLowerCase()))) {
    return new DecodeFailure('content-type', contentType ?? '(none)');
  }
  if (encoding !== undefined && encoding !== 'utf-8' && encoding.toLowerCase() !== 'utf8' && encoding.toLowerCase() !== 'utf-8') {
    return new DecodeFailure('encoding', encoding);
  }
  if (body.length > limits.maxBodyBytes) return new DecodeFailure('too-large', `${body.length} bytes`);
  if (compression !== undefined) {
    const undo = DECOMPRESS[compression];
    if (undo === undefined) return new DecodeFailure('compression', compression);
    try {
      body = undo(typeof body === 'string' ? Buffer.from(body, 'latin1') : body);
    } catch {
      return new DecodeFailure('compression', `corrupt ${compression}`);
    }
    if (body.length > limits.maxBodyBytes) return new DecodeFailure('too-large', `${body.length} bytes inflated`);
  }
  // toString() without arguments goes straight to the UTF-8 decoder (no encoding lookup).
  const text = typeof body === 'string' ? body : body.toString();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return new DecodeFailure('invalid-json');
  }
  // kombu >= 5.3 wraps non-JSON values as {"__type__", "__value__"}; rare, so look before walking.
  if (text.includes('"__type__"')) {
    const unwrapped = unwrapKombuTypes(value, limits.maxDepth);
    if (unwrapped === TOO_DEEP) return new DecodeFailure('too-deep');
    value = unwrapped;
  }
  return value;
}

const TOO_DEEP = Symbol('too-deep');

/** Replace kombu JSON type envelopes by plain JSON values (dates stay ISO strings). */
function unwrapKombuTypes(value: unknown, depthLeft: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depthLeft <= 0) return TOO_DEEP;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = unwrapKombuTypes(value[i], depthLeft - 1);
      if (v === TOO_DEEP) return TOO_DEEP;
      value[i] = v;
    }
    return value;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 2 && '__type__' in obj && '__value__' in obj) {
    const inner = obj.__value__;
    if (obj.__type__ === 'uuid' && inner !== null && typeof inner === 'object' && typeof (inner as { hex?: unknown }).hex === 'string') {
      const hex = (inner as { hex: string }).hex;
      return hex.length === 32 ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` : hex;
    }
    return unwrapKombuTypes(inner, depthLeft - 1);
  }
  for (const key of keys) {
    const v = unwrapKombuTypes(obj[key], depthLeft - 1);
    if (v === TOO_DEEP) return TOO_DEEP;
    obj[key] = v;
  }
  return obj;
}

function depthExceeds(value: object, depthLeft: number): boolean {
  if (depthLeft <= 0) return true;
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== null && typeof v === 'object' && depthExceeds(v, depthLeft - 1)) return true;
  }
  return false;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * Check that a value is an event the State can fold without Celery's crashes:
 * task events need uuid/hostname/timestamp, worker events hostname/timestamp,
 * and the fields the receiver does arithmetic on must be numbers.
 */
export function checkEvent(ev: unknown, maxDepth: number): BadInputReason | null {
  if (ev === null || typeof ev !== 'object' || Array.isArray(ev)) return 'not-an-event';
  const e = ev as CeleryEvent;
  const type = e.type;
  if (type === undefined) return 'missing-type';
  if (typeof type !== 'string' || type.indexOf('-') <= 0) return 'bad-type';
  if (e.timestamp !== undefined && !isNumber(e.timestamp)) return 'bad-field-type';
  if (e.clock !== undefined && !isNumber(e.clock)) return 'bad-field-type';
  if (e.utcoffset !== undefined && !isNumber(e.utcoffset)) return 'bad-field-type';
  if (type.startsWith('task-')) {
    if (e.uuid === undefined || e.hostname === undefined || e.timestamp === undefined) return 'missing-field';
    if (!isName(e.uuid) || !isName(e.hostname)) return 'bad-field-type';
  } else if (type.startsWith('worker-')) {
    if (e.hostname === undefined || e.timestamp === undefined) return 'missing-field';
    if (!isName(e.hostname)) return 'bad-field-type';
    if (e.freq !== undefined && !isNumber(e.freq)) return 'bad-field-type';
  }
  for (const key in e) {
    const v = e[key];
    if (v !== null && typeof v === 'object' && depthExceeds(v, maxDepth)) return 'too-deep';
  }
  return null;
}
