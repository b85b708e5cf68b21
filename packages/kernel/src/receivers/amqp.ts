import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EvcamError, ErrorCodes, type Clock, type Logger } from '@evcam/camera-api';
import type { Channel, ChannelModel, ConsumeMessage, Options } from 'amqplib';
import { inject, injectable } from '#inversify';
import { AbortError, retry } from '@evcam/retry';
import type { CheckpointedReceiver } from '../checkpoint/checkpointer.js';
import { RedeliveryGuard, type GuardCut } from '../checkpoint/redelivery.js';
import { ackMode, type AckMode, type ResolvedConfig } from '../config/schema.js';
import type { Ingestor } from '../ingest/ingestor.js';
import { TOKENS } from '../tokens.js';
import { ACK_DELAY_MS, AckBatch, checkpointBacklogAt } from './amqp-acks.js';
import { isFatalConnectError, isVhostRefusal } from './amqp-connect-errors.js';
import { celeryQueueOptions, eventQueueName, namedQueueOptions } from './amqp-queue.js';
import { parseAmqpUrl, type AmqpUrl } from './broker-url.js';
import type { Receiver, ReceiverHealth } from './receiver.js';


/** How to connect to the broker of a parsed URL: credentials, vhost, heartbeat and TLS (also used by HA's leader lease). */
export function amqpConnectOptions(u: AmqpUrl, settings: ResolvedConfig['receiver'], configDir: string):
  { options: Options.Connect; socketOptions: Record<string, unknown> } {
  const options: Options.Connect = {
    protocol: u.protocol, hostname: u.hostname, port: u.port, username: u.username, password: u.password, vhost: u.vhost,
    // receiver.heartbeat, else kombu's ?heartbeat=N in the URL, else the server's value
    ...(settings.heartbeat !== undefined ? { heartbeat: settings.heartbeat }
      : u.params.has('heartbeat') ? { heartbeat: Number(u.params.get('heartbeat')) } : {}),
  };
  const socketOptions: Record<string, unknown> = { timeout: 10_000 };
  const tls = settings.tls;
  if (u.protocol === 'amqps' && tls) {
    const read = (p?: string) => (p ? readFileSync(resolve(configDir, p)) : undefined);
    Object.assign(socketOptions, { ca: read(tls.ca), cert: read(tls.cert), key: read(tls.key),
      servername: tls.servername ?? u.hostname, rejectUnauthorized: tls.rejectUnauthorized });
  }
  return { options, socketOptions };
}

/** A no-loss queue, declared and bound the same way by every kernel (HA declares its peers' queues too). */
export async function declareNamedQueue(channel: Channel, name: string, s: ResolvedConfig['receiver']): Promise<void> {
  await channel.assertQueue(name, namedQueueOptions(s));
  await channel.bindQueue(name, s.exchange, '#');
}

/**
 * Celery's EventReceiver on RabbitMQ (amqplib). Default mode is exactly Celery's
 * queue: celeryev.<uuid4>, auto-delete, message TTL 5 s, expires 60 s, bound with
 * '#', consumed without acks. No-loss mode (`receiver.queue`) consumes a durable
 * named queue and acknowledges only what has been folded or, with a checkpoint
 * file, only what a written checkpoint covers. Redelivered messages already
 * folded are recognised by fingerprint and skipped. Reconnects forever.
 */
@injectable()
export class AmqpReceiver implements Receiver, CheckpointedReceiver {
  readonly kind = 'amqp';
  private readonly url: AmqpUrl;
  private readonly settings: ResolvedConfig['receiver'];
  private readonly queueName: string;
  private readonly noLoss: boolean;
  private connection: ChannelModel | null = null;
  private channel: Channel | null = null;
  /** For queueDepths only: checking an unknown queue closes the channel it runs on. */
  private depthChannel: Channel | null = null;
  private depthChannelOn: ChannelModel | null = null;
  private depthCalls: Promise<unknown> = Promise.resolve();
  private consumerTag: string | null = null;
  private stopping = false;
  private abort = new AbortController();
  private loop: Promise<void> | null = null;
  private readonly ackBatch = new AckBatch<ConsumeMessage>();
  private ackTimer: NodeJS.Timeout | null = null;
  /** No-loss mode: recognises redelivered messages whose events are already in State. */
  private readonly guard: RedeliveryGuard | null;
  /**
   * receiver.acks as resolved for this config: 'none' consumes with no_ack, as Celery does;
   * 'fold' acks in batches once folded; 'checkpoint' waits for the checkpoint covering a message.
   */
  private readonly acks: AckMode;
  private lastDelivered: { channel: Channel; msg: ConsumeMessage } | null = null;
  private backlogSignalled = false;
  private readonly backlogAt: number;
  onAckBacklog: (() => void) | null = null;
  private disconnectedAt: number | null = null;
  private readonly state: ReceiverHealth = { connected: false, reconnects: 0, lastError: null, disconnectedSecs: 0 };

  constructor(
    @inject(TOKENS.Config) private readonly config: ResolvedConfig,
    @inject(TOKENS.ConfigDir) private readonly configDir: string,
    @inject(TOKENS.Ingestor) private readonly ingestor: Ingestor,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {
    this.url = parseAmqpUrl(config.broker);
    this.settings = config.receiver;
    this.noLoss = this.settings.queue !== undefined;
    // One name for the receiver's lifetime, as Celery's node_id: reconnects redeclare it.
    this.queueName = eventQueueName(this.settings, randomUUID());
    this.state.queue = this.queueName;
    this.acks = ackMode(config);
    // Only acked deliveries can come back after a lost channel; only they need the guard.
    this.guard = this.acks === 'none' ? null : new RedeliveryGuard(2 * this.settings.prefetch, this.acks === 'checkpoint');
    // Ask for a checkpoint before the prefetch window fills up and the broker stops sending.
    this.backlogAt = checkpointBacklogAt(this.settings.prefetch);
  }

  /** Redelivered messages skipped because their events were already folded. */
  get duplicates(): number {
    return this.guard?.duplicates ?? 0;
  }

  expectRedelivered(fingerprints: readonly string[]): void {
    this.guard?.expect(fingerprints);
  }

  checkpointCut(): GuardCut {
    if (this.guard === null) return { fingerprints: [], commit: () => {} };
    const last = this.lastDelivered;
    return this.guard.cut(() => {
      this.backlogSignalled = false;
      if (this.acks !== 'checkpoint' || last === null || last.channel !== this.channel) return;
      try {
        last.channel.ack(last.msg, true);
      } catch (err) {
        this.logger.warn({ err }, 'ack failed; the broker will redeliver (those messages are skipped as duplicates)');
      }
      if (this.lastDelivered === last) this.lastDelivered = null;
    });
  }

  health(): ReceiverHealth {
    const down = this.disconnectedAt === null ? 0 : this.clock.now() - this.disconnectedAt;
    return { ...this.state, disconnectedSecs: this.state.disconnectedSecs + down };
  }

  async start(): Promise<void> {
    try {
      await this.connectOnce();
    } catch (caught) {
      let err = caught;
      // RabbitMQ closes the connection while opening an unknown (or forbidden) vhost, and
      // amqplib reports it without the reason. A broker that is still booting does the same
      // briefly, so only a refusal that persists for a few seconds counts as the user's mistake.
      for (let attempt = 0; attempt < 3 && isVhostRefusal(err); attempt++) {
        await new Promise((resolveDelay) => setTimeout(resolveDelay, 1000));
        try {
          await this.connectOnce();
          err = null;
          break;
        } catch (again) {
          err = again;
        }
      }
      if (err === null) {
        this.loop = this.reconnectLoop();
        return;
      }
      if (isVhostRefusal(err)) {
        throw new EvcamError(ErrorCodes.BROKER_CONNECT,
          `the broker closed the connection while opening vhost "${this.url.vhost}": check that the vhost exists and that user "${this.url.username}" may use it (rabbitmqctl list_permissions -p <vhost>).`, { cause: err });
      }
      if (EvcamError.is(err) || isFatalConnectError(err)) {
        throw EvcamError.is(err) ? err : new EvcamError(ErrorCodes.BROKER_CONNECT,
          `the broker refused the connection (${(err as Error).message}): check the user, password and vhost in the broker URL, and for amqps:// the CA in receiver.tls.`, { cause: err });
      }
      this.logger.warn({ err, host: this.url.hostname, port: this.url.port }, 'broker not reachable; retrying in the background');
      this.markDown(err);
    }
    this.loop = this.reconnectLoop();
  }

  private markDown(err: unknown): void {
    this.state.connected = false;
    this.state.lastError = err instanceof Error ? err.message : String(err);
    this.disconnectedAt ??= this.clock.now();
  }

  /** Wait for the connection to drop, then reconnect with capped, jittered backoff; forever. */
  private async reconnectLoop(): Promise<void> {
    const { minDelay, maxDelay } = this.settings.reconnect;
    while (!this.stopping) {
      if (this.connection !== null) await this.closed;
      if (this.stopping) return;
      try {
        await retry(() => this.connectOnce(), {
          min: minDelay,
          max: maxDelay,
          signal: this.abort.signal,
          shouldRetry: () => !this.stopping,
          onFailedAttempt: ({ error, attemptNumber }) => {
            this.markDown(error);
            if (attemptNumber === 1 || attemptNumber % 10 === 0) {
              this.logger.warn({ err: error, attempt: attemptNumber }, 'broker reconnect failed; backing off');
            }
          },
        });
      } catch (err) {
        if (this.stopping) return;
        this.logger.error({ err }, 'reconnect loop ended unexpectedly');
        return;
      }
    }
  }

  private closed: Promise<void> = Promise.resolve();

  private async connectOnce(): Promise<void> {
    if (this.stopping) throw new AbortError('stopping');
    const u = this.url;
    const { options, socketOptions } = amqpConnectOptions(u, this.settings, this.configDir);
    // amqplib loads on the first connect, not with the kernel: replay builds this receiver but never connects.
    const { default: amqp } = await import('amqplib');
    const connection = await amqp.connect(options, socketOptions);
    let onClose!: () => void;
    this.closed = new Promise<void>((resolveClosed) => { onClose = resolveClosed; });
    connection.on('error', (err: Error) => { this.state.lastError = err.message; });
    connection.on('close', (err?: Error) => {
      if (this.connection === connection) {
        this.connection = this.channel = null;
        this.resetAcks();
        this.guard?.channelLost();
        this.lastDelivered = null;
        if (!this.stopping) {
          this.state.reconnects++;
          this.markDown(err ?? new Error('connection closed'));
          this.logger.warn({ cause: err?.message ?? 'connection closed', reconnects: this.state.reconnects },
            'lost the broker connection; reconnecting (State is kept)');
        }
      }
      onClose();
    });
    try {
      const channel = await connection.createChannel();
      channel.on('error', (err: Error) => { this.state.lastError = err.message; });
      // A dead channel is useless to us: close the connection so the loop starts afresh.
      channel.on('close', () => { connection.close().catch(() => {}); });
      await this.declare(channel);
      this.connection = connection;
      this.channel = channel;
      const { consumerTag } = await channel.consume(this.queueName, (msg) => this.onMessage(channel, msg), { noAck: this.acks === 'none' });
      this.consumerTag = consumerTag;
    } catch (err) {
      this.connection = null;
      await connection.close().catch(() => {});
      throw err;
    }
    if (this.disconnectedAt !== null) {
      const gap = this.clock.now() - this.disconnectedAt;
      this.state.disconnectedSecs += gap;
      this.disconnectedAt = null;
      this.logger.info({ downSecs: Number(gap.toFixed(3)), queue: this.queueName }, 'reconnected to the broker');
    }
    this.state.connected = true;
    this.logger.info({ host: u.hostname, port: u.port, vhost: u.vhost, queue: this.queueName, noLoss: this.noLoss, acks: this.acks }, 'consuming Celery events');
    if (this.settings.wakeup) void this.wakeupWorkers(connection);
  }

  /** Declare exactly what Celery declares, so nothing conflicts with its exchange. */
  private async declare(channel: Channel): Promise<void> {
    const s = this.settings;
    await channel.assertExchange(s.exchange, 'topic', { durable: true, autoDelete: false, internal: false });
    if (this.noLoss) {
      await declareNamedQueue(channel, this.queueName, s);
      if (this.acks !== 'none') await channel.prefetch(s.prefetch); // no_ack consumers get no window
      return;
    } else {
      await channel.assertQueue(this.queueName, celeryQueueOptions(s));
    }
    await channel.bindQueue(this.queueName, s.exchange, '#');
  }

  /** Celery's wake-up: broadcast the `heartbeat` control command so workers announce themselves now. */
  private async wakeupWorkers(connection: ChannelModel): Promise<void> {
    try {
      // Own channel: checking an exchange that does not exist closes the channel.
      const ch = await connection.createChannel();
      ch.on('error', () => {});
      await ch.checkExchange('celery.pidbox');
      const body = { method: 'heartbeat', arguments: {}, destination: null, pattern: null, matcher: null };
      ch.publish('celery.pidbox', '', Buffer.from(JSON.stringify(body)), {
        contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 1,
        headers: { clock: 0, expires: this.clock.now() + 1.0 },
      });
      await ch.close();
    } catch {
      // no pidbox exchange yet (no worker ever started): nothing to wake
    }
  }

  private onMessage(channel: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The server cancelled our consumer (queue deleted): start over.
      this.logger.warn({ queue: this.queueName }, 'the broker cancelled the consumer; reconnecting');
      this.connection?.close().catch(() => {});
      return;
    }
    if (this.guard !== null && this.guard.admit(msg.content, msg.fields.redelivered)) {
      if (this.guard.duplicates === 1) {
        this.logger.info({ queue: this.queueName }, 'skipping redelivered messages whose events are already in State (counted as duplicates)');
      }
    } else {
      this.fold(msg);
    }
    if (this.acks === 'checkpoint') {
      this.lastDelivered = { channel, msg };
      if (!this.backlogSignalled && this.guard!.unacked >= this.backlogAt) {
        this.backlogSignalled = true;
        this.onAckBacklog?.();
      }
    } else if (this.acks === 'fold') {
      this.ackLater(channel, msg);
    }
  }

  private fold(msg: ConsumeMessage): void {
    const props = msg.properties;
    const headers = props.headers;
    this.ingestor.receiveBody(msg.content, props.contentType as string | undefined, props.contentEncoding as string | undefined,
      headers === undefined ? undefined : (headers.compression as string | undefined), this.clock.now());
  }

  /** Batched acks: events are folded synchronously, so everything up to this message is safe. */
  private ackLater(channel: Channel, msg: ConsumeMessage): void {
    const step = this.ackBatch.add(msg);
    if (step === 'flush') this.flushAcks(channel);
    else if (step === 'arm') this.ackTimer = setTimeout(() => this.flushAcks(channel), ACK_DELAY_MS);
  }

  private flushAcks(channel: Channel): void {
    if (this.ackTimer !== null) {
      clearTimeout(this.ackTimer);
      this.ackTimer = null;
    }
    const last = this.ackBatch.take();
    if (last !== null && channel === this.channel) {
      try {
        channel.ack(last, true);
        this.guard?.acked();
      } catch (err) {
        this.logger.warn({ err }, 'ack failed; the broker will redeliver (folding is idempotent per message)');
      }
    }
  }

  private resetAcks(): void {
    if (this.ackTimer !== null) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    this.ackBatch.take();
  }

  async pause(): Promise<void> {
    const channel = this.channel;
    if (channel !== null && this.consumerTag !== null) {
      await channel.cancel(this.consumerTag).catch(() => {});
      this.consumerTag = null;
      if (this.acks !== 'checkpoint') this.flushAcks(channel);
    }
  }

  /** Messages ready in each queue (checkQueue, no consumer count), null for a queue that does not exist. */
  queueDepths(queues: readonly string[]): Promise<Record<string, number | null>> {
    // One at a time: a 404 on the shared depth channel would close it under a concurrent call.
    const run = this.depthCalls.then(async () => {
      const depths: Record<string, number | null> = {};
      for (const queue of queues) depths[queue] = await this.depthOf(queue);
      return depths;
    });
    this.depthCalls = run.catch(() => {});
    return run;
  }

  private async depthOf(queue: string): Promise<number | null> {
    const connection = this.connection;
    if (connection === null) {
      throw new EvcamError(ErrorCodes.BROKER_CONNECT, 'not connected to the broker; queue depths are known again once it reconnects', { retryable: true });
    }
    let channel = this.depthChannel;
    if (channel === null || this.depthChannelOn !== connection) {
      channel = await connection.createChannel();
      const opened = channel;
      opened.on('error', () => {}); // a 404 from checkQueue; the 'close' below forgets the channel
      opened.on('close', () => { if (this.depthChannel === opened) this.depthChannel = null; });
      this.depthChannel = opened;
      this.depthChannelOn = connection;
    }
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) {
        if (this.depthChannel === channel) this.depthChannel = null;
        return null;
      }
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    const depthChannel = this.depthChannel;
    this.depthChannel = null;
    await depthChannel?.close().catch(() => {});
    await this.pause();
    this.stopping = true;
    this.abort.abort();
    const connection = this.connection;
    const channel = this.channel;
    this.connection = this.channel = null;
    // Close the channel first: its close handshake flushes the last acks, which a
    // connection close could overtake.
    if (channel) await channel.close().catch(() => {});
    if (connection) await connection.close().catch(() => {});
    this.state.connected = false;
    await this.loop?.catch(() => {});
  }
}
