import type { Clock, Logger, Timer } from '@evcam/camera-api';
import { ContainerModule } from '#inversify';
import type { ResolvedConfig } from '../config/schema.js';
import { Ids } from '../container/ids.js';
import { OPEN_GATE, type ShutterGate } from '../engine/gate.js';
import { SystemClock, SystemTimer } from '../runtime/clock.js';
import { bindComponent } from './components.js';

export interface RuntimeOptions {
  config: ResolvedConfig;
  configDir: string;
  logger: Logger;
  /** Replaces the Clock: replay's capture time. The Timer then keeps wall time. */
  clock?: Clock;
  /** Replaces the Timer (tests drive a fake one). */
  timer?: Timer;
  /** Shutter only while this is open (high availability); default OPEN_GATE. A module may also rebind Ids.ShutterGate. */
  gate?: ShutterGate;
}

/** Config, logger, Clock, Timer and the shutter gate. */
export function runtimeModule(options: RuntimeOptions): ContainerModule {
  const { config, configDir } = options;
  return new ContainerModule(async ({ bind }) => {
    bind(Ids.Config).toConstantValue(config);
    bind(Ids.ConfigDir).toConstantValue(configDir);
    bind(Ids.Logger).toConstantValue(options.logger);
    if (options.clock) {
      bind(Ids.Clock).toConstantValue(options.clock);
      // Capture time jumps and stands still: intervals are still measured in wall time.
      bind(Ids.TimerClock).to(SystemClock);
    } else {
      await bindComponent(bind, {
        kind: 'clock', id: Ids.Clock, spec: config.components.clock ?? 'system', configDir, extras: {},
        builtins: { system: () => (b) => { b.to(SystemClock); } },
      });
      bind(Ids.TimerClock).toService(Ids.Clock);
    }
    if (options.timer) {
      bind(Ids.Timer).toConstantValue(options.timer);
    } else {
      await bindComponent(bind, {
        kind: 'timer', id: Ids.Timer, spec: config.components.timer ?? 'system', configDir, extras: { clock: Ids.TimerClock },
        builtins: { system: () => (b) => { b.toResolvedValue((clock: Clock) => new SystemTimer(clock), [Ids.TimerClock]); } },
      });
    }
    bind(Ids.ShutterGate).toConstantValue(options.gate ?? OPEN_GATE);
  });
}
