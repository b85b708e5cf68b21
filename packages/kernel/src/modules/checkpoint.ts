import { resolve } from 'node:path';
import type { Logger, Timer } from '@evcam/camera-api';
import { ContainerModule } from '#inversify';
import type { ResolvedConfig } from '../config/schema.js';
import { Ids } from '../container/ids.js';
import type { State } from '../container/services.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { Receiver } from '../receivers/receiver.js';

/** The Checkpointer, bound only when checkpoint.file is set (relative to the working directory, as --checkpoint is). */
export function checkpointModule(settings: ResolvedConfig['checkpoint']): ContainerModule {
  return new ContainerModule(async ({ bind }) => {
    const file = settings?.file;
    if (file === undefined) return;
    // Loaded only when checkpoints are on (start-up CPU of replay, dump and live mode).
    const { Checkpointer, isCheckpointedReceiver } = await import('../checkpoint/checkpointer.js');
    bind(Ids.Checkpointer).toResolvedValue((state: State, ingestor: Ingestor, receiver: Receiver, timer: Timer, logger: Logger) =>
      new Checkpointer({
        file: resolve(file), state, ingestor, timer, logger: logger.child({ component: 'checkpoint' }),
        receiver: isCheckpointedReceiver(receiver) ? receiver : null,
      }), [Ids.State, Ids.Ingestor, Ids.Receiver, Ids.Timer, Ids.Logger]);
  });
}
