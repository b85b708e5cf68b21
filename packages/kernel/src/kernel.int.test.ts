import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EvcamError, silentLogger, type Clock, type Logger } from '@evcam/camera-api';
import { configSchema, type EvcamConfig } from './config/schema.js';
import { buildContainer, Kernel } from './kernel.js';
import { AmqpReceiver } from './receivers/amqp.js';
import { RedisReceiver } from './receivers/redis.js';
import { SystemClock, SystemTimer } from './runtime/clock.js';
import { CeleryState } from './state/state.js';
import { TOKENS } from './tokens.js';

const logger = silentLogger as Logger;
const build = (config: EvcamConfig, configDir = tmpdir()) =>
  buildContainer({ config: configSchema.parse(config), configDir, logger, withoutCameras: true });

/** A user's clock: no decorators, built with the services object. */
class FrozenClock implements Clock {
  constructor(readonly services: { config: unknown; logger: unknown }) {}
  now(): number { return 42; }
}

describe('composition root', () => {
  test('binds the default Clock, Timer, State and the receiver the broker URL asks for', async () => {
    const amqp = await build({ broker: 'amqp://guest:guest@127.0.0.1:5672//' });
    assert.ok(amqp.get(TOKENS.Clock) instanceof SystemClock);
    assert.ok(amqp.get(TOKENS.Timer) instanceof SystemTimer);
    assert.ok(amqp.get(TOKENS.State) instanceof CeleryState);
    assert.ok(amqp.get(TOKENS.Receiver) instanceof AmqpReceiver);
    assert.equal(amqp.get(TOKENS.State), amqp.get(TOKENS.State), 'singletons');
    const redis = await build({ broker: 'redis://127.0.0.1:6379/3' });
    assert.ok(redis.get(TOKENS.Receiver) instanceof RedisReceiver);
    const kernel = await amqp.getAsync<Kernel>(TOKENS.Kernel);
    assert.equal(kernel.state, amqp.get(TOKENS.State));
    assert.deepEqual(kernel.cameras, []);
  });

  test('a component replaced by a class given in the config', async () => {
    const container = await build({ components: { clock: FrozenClock } });
    const clock = container.get<FrozenClock>(TOKENS.Clock);
    assert.ok(clock instanceof FrozenClock);
    assert.equal(clock.now(), 42);
    assert.ok(clock.services.config, 'user components receive the kernel services');
  });

  test('a component replaced by a module path, relative to the config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-component-'));
    writeFileSync(join(dir, 'timer.mjs'), 'export default class NeverTimer { callRepeatedly() { return () => {}; } callLater() { return () => {}; } }');
    const container = await build({ components: { timer: './timer.mjs' } }, dir);
    assert.equal((container.get(TOKENS.Timer) as object).constructor.name, 'NeverTimer');
  });

  test('an unknown built-in name or a broken module is a coded error', async () => {
    await assert.rejects(build({ components: { state: 'postgres' } }),
      (err: unknown) => EvcamError.is(err) && err.code === 'EVCAM_ERR_COMPONENT' && err.message.includes('celery'));
    await assert.rejects(build({ components: { receiver: './nope.mjs' } }),
      (err: unknown) => EvcamError.is(err) && err.code === 'EVCAM_ERR_COMPONENT' && err.message.includes('nope.mjs'));
    await assert.rejects(build({ broker: 'kafka://localhost:9092' }),
      (err: unknown) => EvcamError.is(err) && err.code === 'EVCAM_ERR_BROKER_URL');
  });
});
