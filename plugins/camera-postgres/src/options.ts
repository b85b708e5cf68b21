import { bool, duration, positiveInt, REDACTED, redactUrl } from '@evcam/options';
import { DEFAULT_PG_SCHEMA, retentionOption } from '@evcam/history-schema';
import { z } from 'zod';

/** TLS as pg takes it: true/false, or { rejectUnauthorized, ca, cert, key, servername } (PEM text). */
const ssl = z.union([
  bool,
  z.looseObject({
    rejectUnauthorized: bool.optional(),
    ca: z.string().optional(),
    cert: z.string().optional(),
    key: z.string().optional(),
    servername: z.string().optional(),
  }),
], { error: 'must be true, false or { rejectUnauthorized, ca, cert, key } as pg takes it' });

export const optionsSchema = z.object({
  /** postgres://user:password@host:5432/db (its password is never logged); unset: libpq's PG* variables. */
  url: z.string().regex(/^postgres(ql)?:\/\/\S*$/, 'must be a postgres:// or postgresql:// connection string').optional(),
  /** The schema holding the history tables; created when missing. */
  schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/, 'must be a plain PostgreSQL identifier (letters, digits, _; at most 63)')
    .default(DEFAULT_PG_SCHEMA),
  /** Connections kept: one writes shutters, one runs cleanup. */
  poolSize: positiveInt.default(2),
  /** One statement may take this long (seconds or "30s") before PostgreSQL cancels it; the shutter is retried. */
  statementTimeout: duration.default(30),
  /** Seconds to wait for a connection before the shutter fails (and is retried). */
  connectTimeout: duration.default(10),
  ssl: ssl.optional(),
  /** Keep task rows this long per state: { SUCCESS: '1d', FAILURE: '7d', default: '3d' }; unset keeps all. */
  retention: retentionOption.optional(),
  /** Rows one retention DELETE removes (short transactions, no long locks). */
  retentionBatch: positiveInt.default(5000),
}).strict();

export type PostgresCameraOptions = z.output<typeof optionsSchema>;

/** The options as they may be logged: the password out of the URL, TLS keys out. */
export function redactOptions(options: PostgresCameraOptions): Record<string, unknown> {
  const { url, ssl: tls, ...rest } = options;
  return { ...rest, url: url === undefined ? undefined : redactUrl(url), ssl: typeof tls === 'object' ? { ...tls, key: tls.key && REDACTED } : tls };
}
