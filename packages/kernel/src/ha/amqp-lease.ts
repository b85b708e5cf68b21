import type { Logger } from '@evcam/camera-api';
import amqp, { type ChannelModel, type Options } from 'amqplib';
import type { Acquired, LeaseBackend } from './lease.js';

/** amqplib's words when another connection holds an exclusive queue. */
const isLocked = (err: unknown): boolean => /RESOURCE_LOCKED|\b405\b/.test(String((err as Error)?.message ?? err));

/**
 * Leadership on RabbitMQ: the node whose connection declares the exclusive queue
 * `evcam.leader.<group>` leads; everyone else gets RESOURCE_LOCKED and retries.
 * RabbitMQ deletes the queue when that connection dies — at once for a killed
 * process, after the heartbeat timeout (= the lease) for a silent one — so the
 * lease is the connection. A leader counts its lease as valid for half the
 * heartbeat after each confirmed round trip (RabbitMQ waits a whole one before
 * it gives up on a silent peer).
 *
 * Epoch: the leader appends one persistent message to the durable queue
 * `evcam.epoch.<group>` (never consumed) and its epoch is the queue's length.
 * Only the holder of the exclusive queue appends and a dead holder's connection
 * is gone before anyone else holds it, so each new leader counts one higher.
 */
export class AmqpLease implements LeaseBackend {
  readonly kind = 'amqp';
  readonly validFor: number;
  private connection: ChannelModel | null = null;
  private readonly leaderQueue: string;
  private readonly epochQueue: string;
  private readonly lastLeaderQueue: string;
  private holding = false;
  /** Set by the coordinator: the lease connection died (we lost the lead at once). */
  onLost: (() => void) | null = null;

  constructor(
    private readonly connect: { options: Options.Connect; socketOptions: Record<string, unknown> },
    group: string, private readonly node: string, leaseSecs: number, private readonly logger: Logger,
  ) {
    // AMQP heartbeats are whole seconds: the broker drops a silent connection after about one.
    const heartbeat = Math.max(1, Math.round(leaseSecs));
    this.connect = { options: { ...connect.options, heartbeat }, socketOptions: connect.socketOptions };
    this.validFor = heartbeat / 2;
    this.leaderQueue = `evcam.leader.${group}`;
    this.epochQueue = `evcam.epoch.${group}`;
    this.lastLeaderQueue = `evcam.last-leader.${group}`;
  }

  private async open(): Promise<ChannelModel> {
    if (this.connection !== null) return this.connection;
    const connection = await amqp.connect(this.connect.options, { ...this.connect.socketOptions, clientProperties: { connection_name: `evcam-ha-${this.node}` } });
    connection.on('error', (err: Error) => this.logger.debug({ err }, 'HA lease connection error (AMQP)'));
    connection.on('close', () => {
      if (this.connection !== connection) return;
      this.connection = null;
      if (this.holding) {
        this.holding = false;
        this.onLost?.();
      }
    });
    this.connection = connection;
    return connection;
  }

  async acquire(): Promise<Acquired | null> {
    const connection = await this.open();
    const channel = await connection.createChannel();
    channel.on('error', () => {}); // RESOURCE_LOCKED closes the channel; the connection lives on
    try {
      await channel.assertQueue(this.leaderQueue, { exclusive: true, durable: false, autoDelete: true });
    } catch (err) {
      if (isLocked(err)) return null;
      throw err;
    }
    this.holding = true;
    await channel.close().catch(() => {});
    try {
      return await this.nextEpoch(connection);
    } catch (err) {
      await this.release(); // leading without an epoch would be unfenced
      throw err;
    }
  }

  private async nextEpoch(connection: ChannelModel): Promise<Acquired> {
    const channel = await connection.createConfirmChannel();
    try {
      await channel.assertQueue(this.epochQueue, { durable: true, autoDelete: false, exclusive: false });
      await channel.assertQueue(this.lastLeaderQueue, { durable: true, autoDelete: false, exclusive: false,
        arguments: { 'x-max-length': 1, 'x-overflow': 'drop-head' } });
      const last = await channel.get(this.lastLeaderQueue, { noAck: true });
      const previous = last === false ? null : (JSON.parse(last.content.toString('utf8')) as { node?: string }).node ?? null;
      const body = Buffer.from(JSON.stringify({ node: this.node, at: Date.now() / 1000 }));
      channel.sendToQueue(this.epochQueue, body, { persistent: true, contentType: 'application/json' });
      channel.sendToQueue(this.lastLeaderQueue, body, { persistent: true, contentType: 'application/json' });
      await channel.waitForConfirms();
      const { messageCount } = await channel.checkQueue(this.epochQueue);
      return { epoch: messageCount, previous };
    } finally {
      await channel.close().catch(() => {});
    }
  }

  async renew(): Promise<boolean> {
    const connection = this.connection;
    if (connection === null || !this.holding) return false;
    // One round trip: an answer proves the broker still hears this connection.
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    try {
      await channel.checkQueue(this.leaderQueue);
      return this.holding && this.connection === connection;
    } finally {
      await channel.close().catch(() => {});
    }
  }

  async release(): Promise<void> {
    this.holding = false;
    const connection = this.connection;
    this.connection = null;
    await connection?.close().catch(() => {});
  }

  async leader(): Promise<string | null> {
    return this.holding ? this.node : null; // RabbitMQ does not say who holds an exclusive queue
  }

  async close(): Promise<void> {
    await this.release();
  }

  /** For tests: the queues to delete afterwards. */
  get queues(): readonly string[] {
    return [this.epochQueue, this.lastLeaderQueue];
  }
}
