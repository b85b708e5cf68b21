import { bool, bytes, duration, positiveInt, REDACTED, redactUrl } from '@evcam/options';
import { z } from 'zod';

// Durations are seconds or '90s', '30m', '12h', '3d' (the shared @evcam/options parsers, as every camera).

/** django-celery-monitor's defaults: successes 1 day, errors 3 days, unfinished 5 days. */
const retentionSchema = z.object({
  success: duration.default(86_400),
  error: duration.default(3 * 86_400),
  pending: duration.default(5 * 86_400),
  /** Per-shutter summary documents in `<prefix>-snapshots`. */
  snapshots: duration.default(7 * 86_400),
}).strict();

const url = z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL');

// ES index names: lowercase, no \ / * ? " < > | , # : or space, not starting with - _ +.
const indexPrefix = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,199}$/,
  'must be lowercase letters, digits, ".", "_" or "-", starting with a letter or digit (an Elasticsearch index name)');

const auth = z.union([
  z.object({ apiKey: z.union([z.string().min(1), z.object({ id: z.string().min(1), api_key: z.string().min(1) }).strict()]) }).strict(),
  z.object({ username: z.string().min(1), password: z.string() }).strict(),
  z.object({ bearer: z.string().min(1) }).strict(),
], { error: 'auth must be one of { apiKey }, { username, password } or { bearer }' });

export const optionsSchema = z.object({
  node: url.optional(),
  nodes: z.array(url).min(1).optional(),
  cloud: z.object({ id: z.string().min(1) }).strict().optional(),
  auth: auth.optional(),
  /** SHA-256 fingerprint of the cluster's CA certificate (what Elasticsearch prints at first start). */
  caFingerprint: z.string().regex(/^[0-9A-Fa-f:]{64,95}$/, 'must be a hex SHA-256 fingerprint').optional(),
  /** PEM file of the CA that signed the cluster's certificate; relative to the config file. */
  caFile: z.string().min(1).optional(),
  rejectUnauthorized: bool.default(true),
  indexPrefix: indexPrefix.default('evcam'),
  /** Bulk `refresh`: false (fastest), true, or 'wait_for' (documents searchable when onShutter resolves). */
  refresh: z.union([z.boolean(), z.literal('wait_for')]).default(false),
  /** Per-state retention enforced by onCleanup with delete-by-query; false to keep everything. */
  retention: z.union([retentionSchema, z.literal(false)]).optional(),
  /** Name of an existing ILM policy to set on the indices instead of delete-by-query retention. */
  ilmPolicy: z.string().min(1).optional(),
  /** Install/refresh the index templates at startup (turn off if a restricted API key cannot). */
  installTemplates: bool.default(true),
  /** Seconds one Elasticsearch request may take before it counts as an outage. */
  requestTimeout: duration.default(10),
  /**
   * REST API compatibility the client asks for (`compatible-with=N` headers). 8 works with
   * Elasticsearch 8.x and 9.x servers (9.x serves 8-compatible requests); 9 for 9.x only.
   */
  compatibility: z.union([z.literal(8), z.literal(9)]).default(8),
  /** Split bulk requests at this many bytes of NDJSON. */
  flushBytes: bytes.refine((v) => v >= 1024, 'must be at least 1024 bytes').default(5 * 1024 * 1024),
  /** At most this many task/worker documents wait while Elasticsearch is down (newest state per id wins). */
  maxPending: positiveInt.default(50_000),
  /** At most this many per-shutter summary documents wait while Elasticsearch is down. */
  maxPendingSummaries: positiveInt.default(1_000),
  /** Retries within one shutter of bulk items answered 429/5xx. */
  itemRetries: z.number().int().min(0).max(10).default(3),
  /** Cap of the backoff between those retries. */
  itemRetryMaxDelay: duration.default(2),
}).strict().superRefine((o, ctx) => {
  const targets = [o.node, o.nodes, o.cloud].filter((v) => v !== undefined).length;
  if (targets !== 1) {
    ctx.addIssue({ code: 'custom', message: 'set exactly one of node, nodes or cloud.id (e.g. node: "http://127.0.0.1:9200")' });
  }
  if (o.ilmPolicy !== undefined && o.retention !== undefined && o.retention !== false) {
    ctx.addIssue({ code: 'custom', path: ['retention'],
      message: 'retention (delete-by-query) and ilmPolicy are exclusive: remove one of them' });
  }
}).transform((o) => ({
  ...o,
  // An ILM policy replaces delete-by-query; otherwise the defaults apply unless turned off.
  retention: o.ilmPolicy !== undefined || o.retention === false ? false as const : o.retention ?? retentionSchema.parse({}),
}));

export type ElasticsearchCameraOptions = z.output<typeof optionsSchema>;
export type RetentionOptions = z.output<typeof retentionSchema>;

const SECRET_KEYS = new Set(['apiKey', 'api_key', 'password', 'bearer']);

/** The options as they may be logged: secrets replaced, credentials stripped from URLs. */
export function redactOptions(options: ElasticsearchCameraOptions): Record<string, unknown> {
  return redact(options) as Record<string, unknown>;
}

function redact(value: unknown, key = ''): unknown {
  if (SECRET_KEYS.has(key)) return REDACTED;
  if (typeof value === 'string') return redactUrl(value);
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}

/** http://user:secret@host → http://user:[redacted]@host, for every URL in a text (the shared redactor). */
export { redactUrl };
