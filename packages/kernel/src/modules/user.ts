import { EvcamError, ErrorCodes } from '@evcam/camera-api';
import type { ContainerModule } from '#inversify';
import type { ModuleSpec } from '../config/schema.js';
import { importUserModule } from './components.js';

const isContainerModule = (v: unknown): v is ContainerModule =>
  typeof v === 'object' && v !== null && typeof (v as { load?: unknown }).load === 'function';

/** The `modules` config key: each a ContainerModule, or a module path whose default export (or any export) is one. */
export async function loadUserModules(specs: readonly ModuleSpec[], configDir: string): Promise<ContainerModule[]> {
  const modules: ContainerModule[] = [];
  for (const spec of specs) {
    if (typeof spec !== 'string') {
      modules.push(spec);
      continue;
    }
    let mod: Record<string, unknown>;
    try {
      mod = await importUserModule(spec, configDir);
    } catch (err) {
      throw new EvcamError(ErrorCodes.COMPONENT, `modules: "${spec}" could not be loaded: ${(err as Error).message}. Fix the path (relative to the config file) or the module.`, { cause: err });
    }
    const found = [mod.default, ...Object.values(mod)].find(isContainerModule);
    if (found === undefined) {
      throw new EvcamError(ErrorCodes.COMPONENT,
        `modules: "${spec}" exports no ContainerModule (exports: ${Object.keys(mod).join(', ') || 'nothing'}); export default new ContainerModule(({ rebind }) => { ... }) from inversify.`);
    }
    modules.push(found);
  }
  return modules;
}
