import { EvcamError, ErrorCodes } from '@evcam/camera-api';

export interface RedisEndpoint {
  host: string;
  port: number;
}

/** A Celery/kombu Redis broker URL, taken apart the way kombu's Redis transport reads it. */
export interface RedisUrl {
  /** How to reach the server: TCP (redis://, rediss://), a Unix socket, or through Sentinels. */
  mode: 'tcp' | 'socket' | 'sentinel';
  /** rediss:// (TLS). */
  tls: boolean;
  /** TCP: the server; Sentinel: unused (see sentinels). */
  host: string;
  port: number;
  /** Unix socket path (redis+socket://, unix://). */
  path?: string;
  /** sentinel://h1:26379;sentinel://h2:26379 — every Sentinel to ask for the master. */
  sentinels?: RedisEndpoint[];
  username?: string;
  password?: string;
  /** The database number: kombu names the fanout channels after it (`/{db}.`). */
  db: number;
  /** Query parameters (ssl_cert_reqs, ssl_ca_certs, ...). */
  params: URLSearchParams;
  /** Things kombu silently ignores that the user probably did not mean (logged as warnings). */
  notes: string[];
}

const DEFAULT_PORT = 6379;
const DEFAULT_SENTINEL_PORT = 26379;
const EXAMPLES = 'redis://:password@host:6379/0, rediss://host:6380/0?ssl_cert_reqs=required, '
  + 'redis+socket:///path/to/redis.sock?virtual_host=0 or sentinel://host1:26379;sentinel://host2:26379/0';

function urlError(why: string): EvcamError {
  return new EvcamError(ErrorCodes.BROKER_URL, `Redis broker URL ${why}: write it like ${EXAMPLES}.`);
}

/** kombu's _prepare_virtual_host: '' or '/' is 0, a leading '/' is dropped, the rest must be an integer. */
export function parseDb(vhost: string | null | undefined): number {
  let v = vhost ?? '';
  if (v === '' || v === '/') return 0;
  if (v.startsWith('/')) v = v.slice(1);
  if (!/^\d+$/.test(v)) throw urlError(`names database "${v}", but a Redis database is a number (0, 1, ...)`);
  return Number(v);
}

/** The virtual host of a URL path: url_to_parts drops one leading '/'. */
const pathVhost = (pathname: string): string => decodeURIComponent(pathname.slice(1));

/**
 * Parse one URL after its scheme as kombu's url_to_parts does. A non-special scheme
 * keeps WHATWG parsing close to Python's urlparse: `x:///path` has an empty host.
 */
function splitUrl(url: string): { scheme: string; parsed: URL } {
  const colon = url.indexOf('://');
  if (colon <= 0) throw urlError(`"${url.split('@').pop()}" has no scheme`);
  const scheme = url.slice(0, colon).toLowerCase();
  let parsed: URL;
  try {
    parsed = new URL(`kombu://${url.slice(colon + 3)}`);
  } catch {
    throw urlError('is not a valid URL');
  }
  return { scheme, parsed };
}

const decode = (s: string): string | undefined => (s === '' ? undefined : decodeURIComponent(s));

/**
 * Parse a Redis broker URL in every spelling Celery accepts:
 * `redis://[user:password@]host[:port][/db]`, `rediss://...` (TLS),
 * `redis+socket:///path/to/redis.sock[?virtual_host=db]` (also redis-py's `unix:///path?db=N`),
 * and `sentinel://[:password@]host:26379[/db];sentinel://host2:26379` (master name from
 * the `master_name` transport option). Like kombu, the first Sentinel URL gives the password and db.
 */
export function parseRedisUrl(url: string): RedisUrl {
  const { scheme } = splitUrl(url);
  const notes: string[] = [];
  if (scheme === 'sentinel' || scheme === 'sentinels') {
    const parts = url.split(';').map((s) => s.trim()).filter(Boolean);
    const first = splitUrl(parts[0]).parsed;
    const sentinels: RedisEndpoint[] = [];
    for (const part of parts) {
      const { scheme: s, parsed } = splitUrl(part);
      if (s !== 'sentinel' && s !== 'sentinels') throw urlError(`mixes "${s}://" into a list of sentinel:// URLs`);
      if (!parsed.hostname) throw urlError('has a sentinel:// entry without a host');
      sentinels.push({ host: parsed.hostname, port: parsed.port ? Number(parsed.port) : DEFAULT_SENTINEL_PORT });
      if (part !== parts[0] && (parsed.pathname.replace(/^\/+/, '') !== first.pathname.replace(/^\/+/, '') || parsed.password !== first.password)) {
        notes.push('only the first sentinel:// URL sets the database and password (as in kombu); the others only add Sentinel addresses');
      }
    }
    return {
      mode: 'sentinel', tls: scheme === 'sentinels', host: sentinels[0].host, port: sentinels[0].port, sentinels,
      username: decode(first.username), password: decode(first.password), db: parseDb(pathVhost(first.pathname)), params: first.searchParams, notes,
    };
  }
  if (url.includes(';')) throw urlError('lists several servers, which only sentinel:// URLs may do');
  const { parsed } = splitUrl(url);
  if (scheme === 'redis+socket' || scheme === 'unix' || scheme === 'socket') {
    // The whole path is the socket; the database comes from ?virtual_host= (kombu) or ?db= (redis-py).
    const path = decodeURIComponent(parsed.pathname);
    if (!path || path === '/') throw urlError('names no socket path');
    const params = parsed.searchParams;
    return {
      mode: 'socket', tls: false, host: '', port: 0, path,
      username: decode(parsed.username), password: decode(parsed.password),
      db: parseDb(params.get('virtual_host') ?? params.get('db')), params, notes,
    };
  }
  if (scheme !== 'redis' && scheme !== 'rediss') throw urlError(`has scheme "${scheme}://", which is not a Redis transport`);
  return {
    mode: 'tcp', tls: scheme === 'rediss',
    host: parsed.hostname ? decodeURIComponent(parsed.hostname).replace(/^\[(.*)\]$/, '$1') : '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : DEFAULT_PORT,
    username: decode(parsed.username), password: decode(parsed.password),
    db: parseDb(pathVhost(parsed.pathname)), params: parsed.searchParams, notes,
  };
}

/** Where a URL points, for logs: never the password. */
export function describeRedisUrl(u: RedisUrl): Record<string, unknown> {
  if (u.mode === 'socket') return { socket: u.path, db: u.db };
  if (u.mode === 'sentinel') return { sentinels: u.sentinels!.map((s) => `${s.host}:${s.port}`), db: u.db };
  return { host: u.host, port: u.port, db: u.db, tls: u.tls };
}

export interface FanoutOptions {
  exchange: string;
  db: number;
  /** kombu's global_keyprefix: prepended to every key and channel. */
  globalKeyprefix: string;
  /** kombu's fanout_prefix: true = '/{db}.', false = none, a string = that string ({db} replaced). */
  fanoutPrefix: boolean | string;
  /** kombu's fanout_patterns: channels carry the routing key (`<exchange>/<routing key>`). */
  fanoutPatterns: boolean;
}

/**
 * The channel kombu subscribes for Celery's event receiver (binding key '#', which
 * kombu turns into '*'): `<global_keyprefix><fanout prefix><exchange>/*`, a pattern;
 * without fanout_patterns, workers publish on `<prefix><exchange>` itself.
 */
export function eventChannel(o: FanoutOptions): { channel: string; pattern: boolean } {
  const prefix = o.fanoutPrefix === false ? '' : (o.fanoutPrefix === true ? '/{db}.' : o.fanoutPrefix).replaceAll('{db}', String(o.db));
  const base = `${o.globalKeyprefix}${prefix}${o.exchange}`;
  return o.fanoutPatterns ? { channel: `${base}/*`, pattern: true } : { channel: base, pattern: false };
}

/** The channel Celery's broadcast (pidbox) commands go to: fanout exchange, empty routing key. */
export function pidboxChannel(o: Omit<FanoutOptions, 'exchange' | 'fanoutPatterns'>): string {
  return eventChannel({ ...o, exchange: 'celery.pidbox', fanoutPatterns: false }).channel;
}

/** kombu's ssl_cert_reqs query parameter: only 'none' (CERT_NONE) turns verification off. */
export function certVerification(params: URLSearchParams): boolean | undefined {
  const v = params.get('ssl_cert_reqs');
  if (v === null) return undefined;
  const norm = v.toLowerCase().replace(/^cert_/, '');
  if (norm === 'none') return false;
  if (norm === 'required' || norm === 'optional') return true;
  throw urlError(`has ssl_cert_reqs=${v}; use required, optional or none`);
}
