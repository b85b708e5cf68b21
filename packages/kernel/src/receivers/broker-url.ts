import { EvcamError, ErrorCodes } from '@evcam/camera-api';

export interface AmqpUrl {
  protocol: 'amqp' | 'amqps';
  hostname: string;
  port: number;
  username: string;
  password: string;
  vhost: string;
  /** Query parameters (heartbeat, frameMax, ...). */
  params: URLSearchParams;
}

const AMQP_SCHEMES: Record<string, 'amqp' | 'amqps' | undefined> = {
  'amqp:': 'amqp', 'pyamqp:': 'amqp', 'librabbitmq:': 'amqp', 'amqps:': 'amqps', 'pyamqps:': 'amqps',
};

export function brokerKind(url: string): 'amqp' | 'redis' {
  const scheme = url.slice(0, url.indexOf(':') + 1).toLowerCase();
  if (AMQP_SCHEMES[scheme]) return 'amqp';
  if (['redis:', 'rediss:', 'redis+socket:', 'sentinel:', 'sentinels:', 'unix:'].includes(scheme)) return 'redis';
  throw new EvcamError(ErrorCodes.BROKER_URL,
    `unsupported broker URL scheme "${scheme || url.split('/')[0]}": use amqp://, amqps:// (RabbitMQ) or redis://, rediss://, redis+socket://, sentinel:// (Redis).`);
}

/**
 * Parse a broker URL the way kombu does: `amqp://user:pass@host:port/vhost`,
 * where `//` (or no path) means vhost `/` and `%2F` is a slash.
 */
export function parseAmqpUrl(url: string): AmqpUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EvcamError(ErrorCodes.BROKER_URL, 'broker URL is not a valid URL: write it like amqp://user:password@host:5672/vhost.');
  }
  const protocol = AMQP_SCHEMES[parsed.protocol.toLowerCase()];
  if (!protocol) {
    brokerKind(url); // unknown schemes get the list of supported ones
    throw new EvcamError(ErrorCodes.BROKER_URL, `${parsed.protocol}// is not an AMQP broker URL: use amqp:// or amqps:// here.`);
  }
  const path = parsed.pathname;
  const vhost = path === '' || path === '/' ? '/' : decodeURIComponent(path.slice(1));
  return {
    protocol,
    hostname: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', // IPv6 literals lose their brackets
    port: parsed.port ? Number(parsed.port) : protocol === 'amqps' ? 5671 : 5672,
    username: parsed.username ? decodeURIComponent(parsed.username) : 'guest',
    password: parsed.password ? decodeURIComponent(parsed.password) : 'guest',
    vhost,
    params: parsed.searchParams,
  };
}
