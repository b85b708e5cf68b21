import type { Logger } from '@evcam/camera-api';
import { ContainerModule } from '#inversify';
import type { ResolvedConfig } from '../config/schema.js';
import { Ids } from '../container/ids.js';
import { removedRetentionFor } from '../state/retention.js';
import { CeleryState, type StateLimits } from '../state/state.js';
import { bindComponent } from './components.js';

/** The State, with the configured limits whether it is named ('celery') or defaulted. */
export function stateModule(config: ResolvedConfig, configDir: string): ContainerModule {
  return new ContainerModule(async ({ bind }) => {
    bind(Ids.StateLimits).toConstantValue({
      maxTasksInMemory: config.maxTasksInMemory, maxWorkersInMemory: config.maxWorkersInMemory, removedRetention: removedRetentionFor(config),
    });
    await bindComponent(bind, {
      kind: 'state', id: Ids.State, spec: config.components.state ?? 'celery', configDir, extras: { limits: Ids.StateLimits },
      builtins: {
        celery: () => (b) => {
          b.toResolvedValue((limits: StateLimits, logger: Logger) => new CeleryState(limits, logger.child({ component: 'state' })),
            [Ids.StateLimits, Ids.Logger]);
        },
      },
    });
  });
}
