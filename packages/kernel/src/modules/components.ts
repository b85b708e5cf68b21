import { isAbsolute, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { EvcamError, ErrorCodes, type Logger } from '@evcam/camera-api';
import type { BindToFluentSyntax, ServiceIdentifier } from '#inversify';
import type { ComponentSpec, ResolvedConfig } from '../config/schema.js';
import { Ids, type ServiceId } from '../container/ids.js';
import type { ComponentServices } from '../container/services.js';

/** The kinds `components.*` replaces. */
export type ComponentKind = 'clock' | 'timer' | 'state' | 'receiver';

export type Newable<T = unknown> = new (...args: any[]) => T;

const isPath = (spec: string): boolean => spec.startsWith('.') || isAbsolute(spec);
const isTypeScript = (file: string): boolean => /\.(c|m)?ts$/.test(file);

/**
 * Import a user module: a path relative to the config file (.ts compiled on the fly)
 * or a package installed near the config, then near the kernel.
 */
export async function importUserModule(spec: string, configDir: string): Promise<Record<string, unknown>> {
  if (isPath(spec)) {
    const file = resolve(configDir, spec);
    if (isTypeScript(file)) {
      const { createJiti } = await import('jiti'); // only for TypeScript modules: jiti costs ~0.05-0.1 s CPU to load
      return createJiti(import.meta.url, { interopDefault: false }).import(file) as Promise<Record<string, unknown>>;
    }
    return import(pathToFileURL(file).href) as Promise<Record<string, unknown>>;
  }
  let target = spec;
  try {
    target = pathToFileURL(createRequire(join(configDir, 'noop.js')).resolve(spec)).href;
  } catch { /* not installed near the config: let the kernel's own resolution try */ }
  return import(target) as Promise<Record<string, unknown>>;
}

async function importComponent(spec: string, configDir: string, kind: ComponentKind): Promise<Newable> {
  try {
    const mod = await importUserModule(spec, configDir);
    const value = mod.default ?? Object.values(mod).find((v) => typeof v === 'function');
    if (typeof value !== 'function') throw new Error(`it exports no class (exports: ${Object.keys(mod).join(', ') || 'nothing'})`);
    return value as Newable;
  } catch (err) {
    throw new EvcamError(ErrorCodes.COMPONENT, `components.${kind} "${spec}" could not be loaded: ${(err as Error).message}.`, { cause: err });
  }
}

// inversify's own marker for @injectable() classes (any inversify 7/8 copy writes the same key).
const INJECTABLE_FLAG = '@inversifyjs/core/classIsInjectableFlagReflectKey';
const isDecorated = (ctor: Newable): boolean => Reflect.getOwnMetadata(INJECTABLE_FLAG, ctor) === true;

/** A built-in implementation: how to bind it. */
export type BuiltinBinder<T> = (binding: BindToFluentSyntax<T>) => void;

export interface ComponentBinding<T> {
  kind: ComponentKind;
  id: ServiceId<T>;
  /** components.<kind>, or the default name. */
  spec: ComponentSpec;
  builtins: Readonly<Record<string, () => Promise<BuiltinBinder<T>> | BuiltinBinder<T>>>;
  /**
   * What a decorator-free user class receives besides the common services,
   * as identifiers: `{ clock: Ids.Clock }` → `new Class({ config, configDir, logger, clock })`.
   */
  extras: Readonly<Record<string, ServiceIdentifier>>;
  configDir: string;
}

/**
 * Bind one replaceable component: a built-in by name, or a user class (given in
 * the config or exported by a module). An `@injectable()` user class is built
 * by inversify with its own `@inject`s; any other class gets one object holding
 * the common services plus this kind's dependencies.
 */
export async function bindComponent<T>(bind: <U>(id: ServiceId<U>) => BindToFluentSyntax<U>, c: ComponentBinding<T>): Promise<void> {
  const { kind, spec, builtins } = c;
  if (typeof spec === 'string' && Object.hasOwn(builtins, spec)) {
    (await builtins[spec]())(bind(c.id));
    return;
  }
  if (typeof spec === 'string' && !isPath(spec) && !spec.includes('/') && !spec.startsWith('@')) {
    throw new EvcamError(ErrorCodes.COMPONENT,
      `components.${kind} "${spec}" is not a built-in (${Object.keys(builtins).join(', ')}); give a module path or a class instead.`);
  }
  const Ctor = (typeof spec === 'string' ? await importComponent(spec, c.configDir, kind) : spec) as Newable<T>;
  if (isDecorated(Ctor)) {
    bind(c.id).to(Ctor).inSingletonScope();
    return;
  }
  const names = Object.keys(c.extras);
  bind(c.id).toResolvedValue((config: ResolvedConfig, logger: Logger, ...values: unknown[]) => {
    const services: ComponentServices & Record<string, unknown> = { config, configDir: c.configDir, logger: logger.child({ component: kind }) };
    names.forEach((name, i) => { services[name] = values[i]; });
    return new Ctor(services);
  }, [Ids.Config, Ids.Logger, ...names.map((name) => c.extras[name])]).inSingletonScope();
}
