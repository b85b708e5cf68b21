import { EvcamError, ErrorCodes } from '@evcam/camera-api';
import { injectable } from 'inversify';
import type { Receiver, ReceiverHealth } from './receiver.js';

/** Celery's Redis transport: being written. */
@injectable()
export class RedisReceiver implements Receiver {
  readonly kind = 'redis';
  async start(): Promise<void> {
    throw new EvcamError(ErrorCodes.BROKER_URL, 'the Redis receiver is not available yet');
  }
  async stop(): Promise<void> {}
  health(): ReceiverHealth {
    return { connected: false, reconnects: 0, lastError: null, disconnectedSecs: 0 };
  }
}
