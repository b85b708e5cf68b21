import { isIP } from 'node:net';
import { bool, duration, port, positiveInt } from '@evcam/options';
import { z } from 'zod';
import { isPasswordHash, PASSWORD_HASH_HINT } from './auth.js';

/** 127.0.0.0/8, ::1 and localhost: a dashboard bound there is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

const users = z.record(z.string().min(1).regex(/^[^:]+$/, 'a user name cannot contain ":"'),
  z.string().refine(isPasswordHash, PASSWORD_HASH_HINT));

export const optionsSchema = z.object({
  /** Address to bind; anything but loopback requires `token` or `users`. */
  host: z.string().min(1).default('127.0.0.1'),
  /** TCP port; 0 picks a free one (the URL is logged and printed at install). */
  port: port.default(5555),
  /** Shared secret: `Authorization: Bearer TOKEN`, or open `/?token=TOKEN` once (sets a cookie). */
  token: z.string().min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 16`)').optional(),
  /** Basic-auth users: name -> scrypt hash written by `npx evcam-web-passwd`. */
  users: users.optional(),
  /** A SQLite file or a postgres:// URL written by the SQL cameras: search and detail cover evicted tasks. */
  history: z.string().min(1).optional(),
  /** PostgreSQL schema of the history tables. */
  historySchema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain SQL identifier').default('evcam'),
  /** Tasks listed per worker on the Workers page. */
  recentPerWorker: positiveInt.default(10),
  /** Runtimes kept per task name for p50/p95 (the newest win). */
  runtimeSamples: positiveInt.default(512),
  /** Task names tracked for runtime percentiles (least recently seen dropped). */
  maxTaskNames: positiveInt.default(500),
  /** Open live-update streams at once; more are refused with 503. */
  maxStreams: positiveInt.default(100),
  /** Seconds between keep-alive comments on live streams (proxies drop idle ones). */
  keepAlive: duration.default(15),
  /** Log every request at debug level. */
  logRequests: bool.default(false),
}).strict().superRefine((o, ctx) => {
  if (!isLoopbackHost(o.host) && o.token === undefined && (o.users === undefined || Object.keys(o.users).length === 0)) {
    ctx.addIssue({
      code: 'custom', path: ['host'],
      message: `"${o.host}" is not a loopback address and the dashboard has no authentication: task arguments and results would be open to the network. ` +
        'Set token (e.g. --camera-option token=$(openssl rand -hex 16)) or users (hashes from `npx evcam-web-passwd`), or bind host=127.0.0.1',
    });
  }
});

export type WebCameraOptions = z.output<typeof optionsSchema>;
