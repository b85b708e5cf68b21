import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { EvcamError, ErrorCodes, type Clock, type Logger } from '@evcam/camera-api';
import { backoffDelay } from '@evcam/retry';
import { inject, injectable } from '#inversify';
import { Redis, type RedisOptions } from 'ioredis';
import type { ResolvedConfig } from '../config/schema.js';
import type { Ingestor } from '../ingest/ingestor.js';
import { openKombuEnvelope } from '../ingest/kombu-envelope.js';
import { TOKENS } from '../tokens.js';
import type { Receiver, ReceiverHealth } from './receiver.js';
import { certVerification, describeRedisUrl, eventChannel, parseRedisUrl, pidboxChannel, type RedisUrl } from './redis-url.js';

/** Health of the Redis receiver: the common fields plus the windows in which events were lost. */
export interface RedisReceiverHealth extends ReceiverHealth {
  /** Times the subscription was re-established after being lost: each is a window of lost events. */
  gaps: number;
  /** Length of the last such window, seconds. */
  lastGapSecs: number | null;
  /** The channel (or pattern) subscribed. */
  channel: string;
}

/**
 * Reconnect delay for attempt n (1-based): capped exponential backoff with "equal
 * jitter" — half the step is fixed, half random — so a restarted Redis is not hit
 * by every receiver at the same instant, yet the delay never drops to zero.
 */
export function reconnectDelayMs(attempt: number, minSecs: number, maxSecs: number, random: () => number = Math.random): number {
  return Math.round(backoffDelay(attempt, { min: minSecs, max: maxSecs }, random) * 1000);
}

/** Errors only the user can fix: wrong password, unknown host, no such database. */
export function isFatalRedisError(err: unknown): boolean {
  const message = String((err as Error)?.message ?? err);
  return /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username|DB index is out of range|ENOTFOUND|EACCES|called without any password/i.test(message);
}

/**
 * Celery's EventReceiver on the Redis transport (ioredis). kombu delivers the
 * `celeryev` fanout exchange with PUBLISH, so this is a pub/sub subscriber: the
 * pattern kombu itself subscribes, each message a kombu JSON envelope opened and
 * handed to the same Ingestor as AMQP. Pub/sub stores nothing: while the
 * subscription is down events are lost, so every such gap is logged and counted.
 */
@injectable()
export class RedisReceiver implements Receiver {
  readonly kind = 'redis';
  private readonly url: RedisUrl;
  private readonly settings: ResolvedConfig['receiver'];
  private readonly channel: string;
  private readonly pattern: boolean;
  private client: Redis | null = null;
  /** A subscribed connection runs no other command: queueDepths gets its own, opened on first use. */
  private commands: Redis | null = null;
  private subscribed = false;
  private paused = false;
  private stopping = false;
  private disconnectedAt: number | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private pingOutstanding = false;
  private firstOutcome: { resolve: () => void; reject: (err: unknown) => void } | null = null;
  private readonly state: RedisReceiverHealth = {
    connected: false, reconnects: 0, lastError: null, disconnectedSecs: 0, gaps: 0, lastGapSecs: null, channel: '',
  };

  constructor(
    @inject(TOKENS.Config) config: ResolvedConfig,
    @inject(TOKENS.ConfigDir) private readonly configDir: string,
    @inject(TOKENS.Ingestor) private readonly ingestor: Ingestor,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {
    this.url = parseRedisUrl(config.broker);
    this.settings = config.receiver;
    const r = this.settings.redis;
    const { channel, pattern } = eventChannel({
      exchange: this.settings.exchange, db: this.url.db,
      globalKeyprefix: r.globalKeyprefix, fanoutPrefix: r.fanoutPrefix, fanoutPatterns: r.fanoutPatterns,
    });
    this.channel = channel;
    this.pattern = pattern;
    this.state.channel = channel;
    this.state.queue = channel;
  }

  health(): RedisReceiverHealth {
    const down = this.disconnectedAt === null ? 0 : this.clock.now() - this.disconnectedAt;
    return { ...this.state, disconnectedSecs: this.state.disconnectedSecs + down };
  }

  async start(): Promise<void> {
    for (const note of this.url.notes) this.logger.warn({ broker: describeRedisUrl(this.url) }, note);
    const client = new Redis(this.clientOptions());
    this.client = client;
    client.on('error', (err: Error) => { this.state.lastError = err.message; });
    client.on('close', () => this.onClose());
    client.on('ready', () => { void this.subscribe(client); });
    if (this.pattern) client.on('pmessage', (_pattern: string, _channel: string, data: string) => this.onData(data));
    else client.on('message', (_channel: string, data: string) => this.onData(data));
    const first = new Promise<void>((resolveFirst, rejectFirst) => { this.firstOutcome = { resolve: resolveFirst, reject: rejectFirst }; });
    client.connect().catch((err: unknown) => this.onFirstFailure(err));
    try {
      await first;
    } catch (err) {
      await this.stop();
      const message = (err as Error).message;
      const fix = /ENOTFOUND/.test(message) ? 'check the host name in the broker URL'
        : /EACCES/.test(message) ? 'check that evcam may open the socket given in the broker URL'
          : 'check the password, user and database number in the broker URL';
      throw new EvcamError(ErrorCodes.BROKER_CONNECT, `Redis refused the connection (${message}): ${fix}.`, { cause: err });
    }
  }

  /** The first connect failed: give up on mistakes only the user can fix, otherwise retry in the background. */
  private onFirstFailure(err: unknown): void {
    const outcome = this.firstOutcome;
    if (outcome === null) return;
    const reason = this.state.lastError !== null && isFatalRedisError(this.state.lastError) ? new Error(this.state.lastError) : err;
    if (isFatalRedisError(reason)) {
      this.firstOutcome = null;
      outcome.reject(reason);
      return;
    }
    this.firstOutcome = null;
    this.disconnectedAt ??= this.clock.now();
    this.logger.warn({ broker: describeRedisUrl(this.url), cause: this.state.lastError ?? (err as Error).message },
      'Redis not reachable; retrying in the background (events published meanwhile are lost)');
    outcome.resolve();
  }

  /** Connection options from the broker URL and receiver settings (TLS, socket, Sentinel); HA's leader lease connects alike. */
  clientOptions(): RedisOptions {
    const u = this.url;
    const r = this.settings.redis;
    const { minDelay, maxDelay } = this.settings.reconnect;
    const options: RedisOptions = {
      username: u.username, password: u.password, db: u.db,
      connectionName: r.clientName,
      lazyConnect: true,
      // We subscribe ourselves on every 'ready', so we know when a gap ends.
      autoResubscribe: false,
      // Commands wait for the connection instead of failing after N retries.
      maxRetriesPerRequest: null,
      connectTimeout: 10_000,
      keepAlive: 30_000,
      retryStrategy: (attempt: number) => {
        if (this.stopping) return null;
        const delay = reconnectDelayMs(attempt, minDelay, maxDelay);
        // Attempt 1 follows the loss (or the first connect) that is logged on its own.
        if (attempt === 2 || attempt % 10 === 0) {
          const log = this.state.lastError !== null && isFatalRedisError(this.state.lastError) ? 'error' : 'warn';
          this.logger[log]({ attempt, retryInSecs: delay / 1000, cause: this.state.lastError }, 'Redis still not reachable; backing off');
        }
        return delay;
      },
    };
    const tls = this.tlsOptions();
    if (u.mode === 'socket') {
      options.path = u.path;
    } else if (u.mode === 'sentinel') {
      if (!r.sentinelMaster) {
        throw new EvcamError(ErrorCodes.CONFIG_INVALID,
          'a sentinel:// broker needs the master name: set receiver.redis.sentinelMaster (kombu\'s master_name transport option).');
      }
      Object.assign(options, {
        sentinels: u.sentinels, name: r.sentinelMaster, sentinelPassword: r.sentinelPassword,
        sentinelRetryStrategy: options.retryStrategy,
      });
      if (tls) Object.assign(options, { tls, sentinelTLS: tls, enableTLSForSentinelMode: true });
    } else {
      options.host = u.host;
      options.port = u.port;
      if (tls) options.tls = tls;
    }
    return options;
  }

  /** rediss://: receiver.tls files (relative to the config) or kombu's ssl_* URL parameters. */
  private tlsOptions(): ConnectionOptions | undefined {
    const u = this.url;
    if (!u.tls) return undefined;
    const tls = this.settings.tls;
    const read = (p?: string | null) => (p ? readFileSync(resolve(this.configDir, p)) : undefined);
    const verify = certVerification(u.params);
    return {
      ca: read(tls?.ca ?? u.params.get('ssl_ca_certs')),
      cert: read(tls?.cert ?? u.params.get('ssl_certfile')),
      key: read(tls?.key ?? u.params.get('ssl_keyfile')),
      servername: tls?.servername ?? (u.mode === 'tcp' ? u.host : undefined),
      rejectUnauthorized: verify === false ? false : (tls?.rejectUnauthorized ?? true),
    };
  }

  /** (Re)subscribe after every connect; the end of a gap is when Redis confirms it. */
  private async subscribe(client: Redis): Promise<void> {
    if (this.stopping || this.paused || client !== this.client) return;
    try {
      if (this.pattern) await client.psubscribe(this.channel);
      else await client.subscribe(this.channel);
    } catch (err) {
      this.state.lastError = (err as Error).message;
      if (this.stopping) return;
      this.logger.warn({ err, channel: this.channel }, 'subscribing to Celery events failed; reconnecting');
      if (this.firstOutcome !== null && isFatalRedisError(err)) this.onFirstFailure(err);
      else client.disconnect(true);
      return;
    }
    const now = this.clock.now();
    if (this.disconnectedAt !== null) {
      const gap = now - this.disconnectedAt;
      this.state.disconnectedSecs += gap;
      this.state.gaps++;
      this.state.lastGapSecs = gap;
      this.logger.warn({
        gapSecs: Number(gap.toFixed(3)), from: new Date(this.disconnectedAt * 1000).toISOString(), to: new Date(now * 1000).toISOString(),
        gaps: this.state.gaps, reconnects: this.state.reconnects,
      }, 'resubscribed to Celery events after a gap: events published in that window are lost (Redis pub/sub keeps nothing)');
      this.disconnectedAt = null;
    }
    this.subscribed = true;
    this.state.connected = true;
    this.logger.info({ broker: describeRedisUrl(this.url), channel: this.channel, pattern: this.pattern }, 'consuming Celery events');
    this.startHealthCheck(client);
    const outcome = this.firstOutcome;
    this.firstOutcome = null;
    outcome?.resolve();
    if (this.settings.wakeup) void this.wakeupWorkers(client);
  }

  private onClose(): void {
    this.stopHealthCheck();
    if (this.stopping || !this.subscribed) return;
    this.subscribed = false;
    this.state.connected = false;
    this.state.reconnects++;
    this.disconnectedAt ??= this.clock.now();
    this.logger.warn({ cause: this.state.lastError ?? 'connection closed', reconnects: this.state.reconnects },
      'lost the Redis connection; events published until it is back are lost (pub/sub keeps nothing); reconnecting (State is kept)');
  }

  /** kombu's health_check_interval: a PING that stays unanswered for a whole interval means a dead link. */
  private startHealthCheck(client: Redis): void {
    this.stopHealthCheck();
    const every = this.settings.redis.healthCheckInterval;
    if (every <= 0) return;
    this.pingOutstanding = false;
    this.healthTimer = setInterval(() => {
      if (this.pingOutstanding) {
        this.state.lastError = `no answer to PING within ${every} s`;
        this.logger.warn({ intervalSecs: every }, 'the Redis subscription stopped answering; reconnecting');
        client.disconnect(true);
        return;
      }
      this.pingOutstanding = true;
      client.ping().then(() => { this.pingOutstanding = false; }, () => {});
    }, every * 1000);
    this.healthTimer.unref();
  }

  private stopHealthCheck(): void {
    if (this.healthTimer !== null) clearInterval(this.healthTimer);
    this.healthTimer = null;
    this.pingOutstanding = false;
  }

  /**
   * Celery's wake-up: broadcast the `heartbeat` control command on the pidbox fanout
   * so workers announce themselves now. A subscriber connection cannot PUBLISH,
   * so a short-lived second connection sends it.
   */
  private async wakeupWorkers(client: Redis): Promise<void> {
    const r = this.settings.redis;
    const body = { method: 'heartbeat', arguments: {}, destination: null, pattern: null, matcher: null };
    const envelope = {
      body: Buffer.from(JSON.stringify(body)).toString('base64'),
      'content-encoding': 'utf-8', 'content-type': 'application/json',
      headers: { clock: 0, expires: this.clock.now() + 1.0 },
      properties: {
        delivery_mode: 2, priority: 0, body_encoding: 'base64', delivery_tag: randomUUID(),
        delivery_info: { exchange: 'celery.pidbox', routing_key: '' },
      },
    };
    const publisher = client.duplicate({ lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    publisher.on('error', () => {});
    try {
      await publisher.connect();
      await publisher.publish(pidboxChannel({ db: this.url.db, globalKeyprefix: r.globalKeyprefix, fanoutPrefix: r.fanoutPrefix }),
        JSON.stringify(envelope));
    } catch (err) {
      this.logger.debug({ err }, 'could not wake the workers (they will show up at their next heartbeat)');
    } finally {
      publisher.disconnect();
    }
  }

  private onData(data: string): void {
    const msg = openKombuEnvelope(data);
    if (msg === null) {
      this.ingestor.metrics.messages++;
      this.ingestor.bad('bad-envelope');
      return;
    }
    this.ingestor.receive(msg, this.clock.now());
  }

  async pause(): Promise<void> {
    this.paused = true;
    const client = this.client;
    if (client === null || !this.subscribed) return;
    this.subscribed = false;
    this.stopHealthCheck();
    const unsubscribe = this.pattern ? client.punsubscribe(this.channel) : client.unsubscribe(this.channel);
    await unsubscribe.catch(() => {});
  }

  /**
   * LLEN of each kombu queue (a Redis list under globalKeyprefix). Redis deletes an
   * empty list, so an unknown queue reads as 0, never null.
   */
  async queueDepths(queues: readonly string[]): Promise<Record<string, number | null>> {
    const client = this.client;
    if (client === null || this.stopping) {
      throw new EvcamError(ErrorCodes.BROKER_CONNECT, 'the Redis receiver is not running; queue depths are unavailable', { retryable: true });
    }
    if (this.commands === null) {
      const commands = client.duplicate({ lazyConnect: true, maxRetriesPerRequest: 1 });
      commands.on('error', () => {});
      this.commands = commands;
    }
    const prefix = this.settings.redis.globalKeyprefix;
    const lengths = await Promise.all(queues.map((queue) => this.commands!.llen(`${prefix}${queue}`)));
    return Object.fromEntries(queues.map((queue, i) => [queue, lengths[i]]));
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.commands?.disconnect();
    this.commands = null;
    this.stopping = true;
    this.subscribed = false;
    this.stopHealthCheck();
    const client = this.client;
    this.client = null;
    this.state.connected = false;
    if (client === null) return;
    // QUIT politely, but never wait long on a link that may be dead.
    if (client.status === 'ready') {
      await Promise.race([client.quit().catch(() => {}), new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    client.disconnect();
  }
}
