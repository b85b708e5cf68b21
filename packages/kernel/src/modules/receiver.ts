import { ContainerModule } from '#inversify';
import type { ResolvedConfig } from '../config/schema.js';
import { Ids } from '../container/ids.js';
import { brokerKind } from '../receivers/broker-url.js';
import type { Receiver } from '../receivers/receiver.js';
import { bindComponent, type BuiltinBinder } from './components.js';

/** Built-in receivers by name, loaded on demand (ioredis only when the broker is Redis). */
export const BUILTIN_RECEIVERS: Readonly<Record<string, () => Promise<BuiltinBinder<Receiver>>>> = Object.freeze({
  amqp: async () => {
    const { AmqpReceiver } = await import('../receivers/amqp.js');
    return (b) => { b.to(AmqpReceiver); };
  },
  redis: async () => {
    const { RedisReceiver } = await import('../receivers/redis.js');
    return (b) => { b.to(RedisReceiver); };
  },
});

/** The receiver the broker URL asks for, unless components.receiver names another. */
export function receiverModule(config: ResolvedConfig, configDir: string): ContainerModule {
  return new ContainerModule(async ({ bind }) => {
    await bindComponent(bind, {
      kind: 'receiver', id: Ids.Receiver, spec: config.components.receiver ?? brokerKind(config.broker), configDir,
      extras: { clock: Ids.Clock, ingestor: Ids.Ingestor }, builtins: BUILTIN_RECEIVERS,
    });
  });
}
