// host.queueDepths through the receivers, against the real RabbitMQ and Redis (unique queue names).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Polaroid, silentLogger, type CameraServices } from '@evcam/camera-api';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { configSchema, type EvcamConfig } from '../config/schema.js';
import { Ingestor } from '../ingest/ingestor.js';
import { buildContainer, type Kernel } from '../kernel.js';
import { SystemClock } from '../runtime/clock.js';
import { CeleryState } from '../state/state.js';
import { TOKENS } from '../tokens.js';
import { AmqpReceiver } from './amqp.js';
import { RedisReceiver } from './redis.js';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672//';
const ingestor = () => new Ingestor(new CeleryState({}, silentLogger), silentLogger);

describe('queueDepths', () => {
  test('AMQP: messages ready per queue, null for an unknown one; the depth channel a 404 closed is reopened', async () => {
    const queue = `evcam-test-depth-${randomUUID()}`;
    const missing = `evcam-test-missing-${randomUUID()}`;
    const connection = await amqp.connect(AMQP_URL);
    const receiver = new AmqpReceiver(configSchema.parse({ broker: AMQP_URL, receiver: { wakeup: false } }), process.cwd(), ingestor(), silentLogger, new SystemClock());
    try {
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue(queue, { durable: false, autoDelete: false });
      for (let i = 0; i < 3; i++) channel.sendToQueue(queue, Buffer.from(`m${i}`));
      await channel.waitForConfirms();
      await receiver.start();
      assert.deepEqual(await receiver.queueDepths([queue, missing]), { [queue]: 3, [missing]: null });
      // The 404 closed the depth channel: the next call opens another one.
      assert.deepEqual(await receiver.queueDepths([missing, queue]), { [missing]: null, [queue]: 3 });
      channel.sendToQueue(queue, Buffer.from('m3'));
      await channel.waitForConfirms();
      const [a, b] = await Promise.all([receiver.queueDepths([missing]), receiver.queueDepths([queue])]);
      assert.deepEqual([a, b], [{ [missing]: null }, { [queue]: 4 }], 'concurrent calls do not close each other\'s channel');
      assert.equal(receiver.health().connected, true, 'the consuming channel is untouched');
      await channel.deleteQueue(queue);
    } finally {
      await receiver.stop();
      await connection.close();
    }
  });

  test('AMQP: while disconnected it rejects with a retryable coded error', async () => {
    const receiver = new AmqpReceiver(configSchema.parse({ broker: AMQP_URL }), process.cwd(), ingestor(), silentLogger, new SystemClock());
    await assert.rejects(receiver.queueDepths(['celery']), (err: unknown) => (err as { code?: string }).code === 'EVCAM_ERR_BROKER_CONNECT');
  });

  test('Redis: LLEN of each kombu queue under globalKeyprefix (an unknown queue reads 0)', async () => {
    const prefix = `evcam-test-${randomUUID().slice(0, 8)}:`;
    const queue = `celery-${randomUUID()}`;
    const db = 11;
    const redis = new Redis({ host: '127.0.0.1', port: 6379, db, lazyConnect: true });
    await redis.connect();
    const receiver = new RedisReceiver(configSchema.parse({
      broker: `redis://127.0.0.1:6379/${db}`, receiver: { wakeup: false, redis: { globalKeyprefix: prefix } },
    }), process.cwd(), ingestor(), silentLogger, new SystemClock());
    try {
      await redis.rpush(`${prefix}${queue}`, 'a', 'b');
      await receiver.start();
      assert.deepEqual(await receiver.queueDepths([queue, `${queue}-nope`]), { [queue]: 2, [`${queue}-nope`]: 0 });
    } finally {
      await receiver.stop();
      await redis.del(`${prefix}${queue}`);
      await redis.quit();
    }
  });
});

/** Reads what a camera sees of the kernel's services. */
class Peek extends Polaroid {
  override onShutter(): void {}
  services(): CameraServices { return this.host; }
}

/** A user receiver that cannot tell queue depths. */
class SilentReceiver {
  readonly kind = 'silent';
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  health() { return { connected: true, reconnects: 0, lastError: null, disconnectedSecs: 0 }; }
}

test('a camera sees host.queueDepths exactly when its receiver can tell, and it reaches the receiver', async () => {
  const services = async (config: EvcamConfig) => {
    const container = await buildContainer({ config: configSchema.parse({ cameras: [Peek], ...config }), configDir: process.cwd(), logger: silentLogger });
    const kernel = await container.getAsync<Kernel>(TOKENS.Kernel);
    return { kernel, host: (kernel.cameras[0].camera as Peek).services() };
  };
  const withDepths = await services({ broker: AMQP_URL, receiver: { wakeup: false } });
  assert.equal(typeof withDepths.host.queueDepths, 'function');
  await withDepths.kernel.receiver.start();
  try {
    const missing = `evcam-test-missing-${randomUUID()}`;
    assert.deepEqual(await withDepths.host.queueDepths!([missing]), { [missing]: null });
  } finally {
    await withDepths.kernel.receiver.stop();
  }
  const without = await services({ components: { receiver: SilentReceiver as never } });
  assert.equal(without.host.queueDepths, undefined);
});
