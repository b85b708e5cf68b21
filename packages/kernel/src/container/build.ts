import 'reflect-metadata';
import { Container, ContainerModule } from '#inversify';
import { Kernel } from '../kernel.js';
import { camerasModule } from '../modules/cameras.js';
import { checkpointModule } from '../modules/checkpoint.js';
import { haModule } from '../modules/ha.js';
import { httpModule } from '../modules/http.js';
import { ingestModule } from '../modules/ingest.js';
import { receiverModule } from '../modules/receiver.js';
import { runtimeModule, type RuntimeOptions } from '../modules/runtime.js';
import { stateModule } from '../modules/state.js';
import { loadUserModules } from '../modules/user.js';
import { Ids } from './ids.js';

export interface BuildOptions extends RuntimeOptions {
  /** Build without cameras (dump). */
  withoutCameras?: boolean;
  /** 'run' (default) also binds the Checkpointer and the HTTP server when configured; replay and dump do not. */
  command?: 'run' | 'replay' | 'dump';
  /** Loaded after the kernel's modules and before the config's `modules`. */
  modules?: readonly ContainerModule[];
}

const kernelModule = (): ContainerModule => new ContainerModule(({ bind }) => { bind(Ids.Kernel).to(Kernel); });

/**
 * The composition root: one ContainerModule per concern, then the caller's
 * modules, then the config's `modules` (last, so they may rebind anything).
 */
export async function buildContainer(options: BuildOptions): Promise<Container> {
  const { config, configDir } = options;
  const command = options.command ?? 'run';
  const container = new Container({ defaultScope: 'Singleton' });
  await container.loadAsync(
    runtimeModule(options),
    stateModule(config, configDir),
    ingestModule(),
    receiverModule(config, configDir),
    camerasModule(config, configDir, { withoutCameras: options.withoutCameras }),
    checkpointModule(command === 'run' ? config.checkpoint : undefined),
    httpModule(command === 'run' ? config.http : undefined),
    kernelModule(),
  );
  // After the runtime module's default gate, which it rebinds.
  await container.loadAsync(haModule(command === 'run' ? config : undefined, configDir));
  const user = await loadUserModules(config.modules, configDir);
  await container.loadAsync(...(options.modules ?? []), ...user);
  return container;
}
