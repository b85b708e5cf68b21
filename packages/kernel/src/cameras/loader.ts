import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  API_VERSION, EvcamError, ErrorCodes, isCameraClass,
  type CameraClass, type CameraContext, type OptionsSchema, type Polaroid, type PolaroidSettings,
} from '@evcam/camera-api';
import { createJiti } from 'jiti';
import type { CameraEntry, CameraFactory, CameraSpec, ResolvedConfig } from '../config/schema.js';

/** Camera API versions this kernel can drive. */
export const SUPPORTED_API_VERSIONS: readonly number[] = [API_VERSION];

/** The project's own cameras, by short name. */
export const BUILTIN_CAMERAS: Readonly<Record<string, string>> = {
  file: '@evcam/camera-file',
  s3: '@evcam/camera-s3',
  elasticsearch: '@evcam/camera-elasticsearch',
  postgres: '@evcam/camera-postgres', sqlite: '@evcam/camera-sqlite',
  prometheus: '@evcam/camera-prometheus',
};

/** A camera ready to be constructed: what the loader found plus its validated options. */
export interface CameraPlan {
  /** The camera's name in logs, health and summaries: its static cameraName, else `source`. */
  name: string;
  /** The name it was configured by ('file', './dist/index.js', '@acme/evcam-camera-kafka'). */
  source: string;
  create(ctx: Omit<CameraContext, 'options' | 'name'>): Polaroid;
  options: unknown;
  settings: Partial<PolaroidSettings>;
}

const isPathLike = (name: string): boolean =>
  name.startsWith('.') || isAbsolute(name) || /\.(c|m)?(t|j)s$/.test(name);

/** Module specifiers to try for a camera name, in order. */
export function candidatesFor(name: string): string[] {
  if (BUILTIN_CAMERAS[name]) return [BUILTIN_CAMERAS[name]];
  if (name.startsWith('@') || name.includes('/') || name.startsWith('evcam-camera-')) return [name];
  return [`@evcam/camera-${name}`, `evcam-camera-${name}`, name];
}

function isModuleNotFound(err: unknown, specifier: string): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  // Only when the camera module itself is missing, not one of its own imports.
  const message = String((err as Error).message);
  return message.includes(`'${specifier}'`) || message.includes(`"${specifier}"`) || message.includes(specifier);
}

async function importModule(specifier: string, configDir: string): Promise<unknown> {
  if (isPathLike(specifier)) {
    const file = resolve(configDir, specifier);
    if (/\.(c|m)?ts$/.test(file)) {
      return createJiti(import.meta.url, { interopDefault: false }).import(file);
    }
    return import(pathToFileURL(file).href);
  }
  // Resolve from the config's directory first (the user's project), then from the kernel.
  try {
    const resolved = createRequire(join(configDir, 'noop.js')).resolve(specifier);
    return await import(pathToFileURL(resolved).href);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw err;
  }
  return import(specifier);
}

function describeExports(mod: unknown): string {
  if (mod === null || typeof mod !== 'object') return typeof mod;
  const parts = Object.entries(mod as Record<string, unknown>).map(([k, v]) => `${k}: ${typeof v}`);
  return parts.length ? `{ ${parts.join(', ')} }` : '{} (nothing)';
}

/** Pick the camera out of a module's exports: default, then `Camera`, then any camera class. */
function pickCamera(mod: unknown): CameraClass | CameraFactory | null {
  const m = mod as Record<string, unknown>;
  let def = m?.default as unknown;
  if (def && typeof def === 'object' && 'default' in (def as object)) def = (def as { default: unknown }).default; // CJS double default
  for (const candidate of [def, m?.Camera]) {
    if (isCameraClass(candidate)) return candidate;
  }
  for (const value of Object.values(m ?? {})) {
    if (isCameraClass(value)) return value;
  }
  if (typeof def === 'function') return def as CameraFactory;
  return null;
}

/** Load a camera by name/path/class/factory, as Celery's instantiate() does with a dotted path. */
export async function resolveCamera(spec: CameraSpec, configDir: string): Promise<{ name: string; camera: CameraClass | CameraFactory }> {
  if (typeof spec === 'function') {
    return { name: (spec as { cameraName?: string }).cameraName ?? spec.name ?? 'camera', camera: spec };
  }
  const tried: string[] = [];
  const specifiers = isPathLike(spec) ? [spec] : candidatesFor(spec);
  for (const specifier of specifiers) {
    let mod: unknown;
    try {
      mod = await importModule(specifier, configDir);
    } catch (err) {
      const missing = isPathLike(specifier)
        ? isModuleNotFound(err, resolve(configDir, specifier)) || (err as NodeJS.ErrnoException).code === 'ENOENT'
        : isModuleNotFound(err, specifier);
      if (missing) {
        tried.push(specifier);
        continue;
      }
      throw new EvcamError(ErrorCodes.NOT_A_CAMERA,
        `camera "${spec}" (${specifier}) failed to load: ${(err as Error).message}. Fix the module, or pick another camera.`, { cause: err });
    }
    const camera = pickCamera(mod);
    if (camera === null) {
      throw new EvcamError(ErrorCodes.NOT_A_CAMERA,
        `camera "${spec}" (${specifier}) does not export a camera: it exports ${describeExports(mod)}. ` +
        'Export default a class extending Polaroid from @evcam/camera-api (or a factory function returning one).');
    }
    return { name: spec, camera };
  }
  const install = isPathLike(spec) ? `create ${resolve(configDir, spec)}` : `install it: npm install ${specifiers[0]}`;
  throw new EvcamError(ErrorCodes.CAMERA_NOT_INSTALLED,
    `camera "${spec}" is not installed (tried ${tried.join(', ')} from ${configDir}); ${install}`);
}

function checkApiVersion(name: string, camera: CameraClass | CameraFactory): void {
  const version = (camera as { apiVersion?: unknown }).apiVersion;
  if (version === undefined && !isCameraClass(camera)) return; // a plain factory: checked on the instance
  if (typeof version !== 'number' || !SUPPORTED_API_VERSIONS.includes(version)) {
    throw new EvcamError(ErrorCodes.API_VERSION,
      `camera "${name}" was built for camera API ${String(version)}, but this evcam-kernel supports ${SUPPORTED_API_VERSIONS.join(', ')}. ` +
      `Install a release of the camera built against @evcam/camera-api with API_VERSION ${API_VERSION}, or an evcam-kernel that supports ${String(version)}.`);
  }
}

/** A class's static cameraName when it has one, else the name it was configured by. */
function displayName(source: string, camera: CameraClass | CameraFactory): string {
  const declared = (camera as { cameraName?: unknown }).cameraName;
  return typeof declared === 'string' && declared !== '' ? declared : source;
}

/** Validate options with the camera's schema (any Standard Schema: zod, valibot, ...). */
export async function validateOptions(name: string, schema: OptionsSchema | undefined, options: unknown): Promise<unknown> {
  if (schema === undefined) return options;
  if (typeof (schema as { '~standard'?: { validate?: unknown } })['~standard']?.validate !== 'function') {
    throw new EvcamError(ErrorCodes.NOT_A_CAMERA,
      `camera "${name}" declares an optionsSchema that is not a Standard Schema (zod 3.24+, valibot 1, arktype 2 ...).`);
  }
  const result = await schema['~standard'].validate(options);
  if (result.issues) {
    const detail = result.issues.map((issue) => {
      const path = (issue.path ?? []).map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.');
      return `${path || '(options)'}: ${issue.message}`;
    }).join('; ');
    throw new EvcamError(ErrorCodes.CAMERA_OPTIONS,
      `camera "${name}" options are invalid: ${detail}. Fix them in the config (cameraOptions / cameras[].options) or with --camera-option KEY=VALUE.`);
  }
  return result.value;
}

/** Normalise `camera`/`cameras`/`cameraOptions` into entries. */
export function cameraEntries(config: ResolvedConfig): CameraEntry[] {
  const list = config.cameras ?? (config.camera === undefined ? ['file'] : [config.camera]);
  return list.map((item, i) => {
    const entry: CameraEntry = typeof item === 'object' && item !== null && 'use' in item ? { ...item } : { use: item as CameraSpec };
    if (i === 0 && config.cameraOptions) entry.options = { ...entry.options, ...config.cameraOptions };
    return entry;
  });
}

/** Resolve every configured camera and validate its options; nothing is constructed yet. */
export async function planCameras(config: ResolvedConfig, configDir: string): Promise<CameraPlan[]> {
  const plans: CameraPlan[] = [];
  for (const entry of cameraEntries(config)) {
    const { name, camera } = await resolveCamera(entry.use, configDir);
    checkApiVersion(name, camera);
    const schema = (camera as { optionsSchema?: OptionsSchema }).optionsSchema;
    const options = await validateOptions(name, schema, entry.options ?? {});
    const settings: Partial<PolaroidSettings> = {
      freq: entry.freq ?? config.freq,
      maxrate: entry.maxrate === undefined ? config.maxrate : entry.maxrate,
      cleanupFreq: entry.cleanupFreq ?? config.cleanupFreq,
      shutterTimeout: entry.shutterTimeout ?? config.shutterTimeout,
      maxBackoff: config.maxBackoff,
      finalShutterTimeout: config.finalShutterTimeout,
    };
    const clearAfter = entry.clearAfter ?? (config.clearAfter || undefined);
    if (clearAfter !== undefined) settings.clearAfter = clearAfter;
    const plan: CameraPlan = { name: displayName(name, camera), source: name, create: null!, options, settings };
    plan.create = (ctx: Omit<CameraContext, 'options' | 'name'>): Polaroid => {
      const full = { ...ctx, name: plan.name, options: options as Record<string, unknown> };
      if (isCameraClass(camera)) return new camera(full);
      const made = (camera as CameraFactory)(full);
      if (!made || typeof (made as Polaroid).onShutter !== 'function') {
        throw new EvcamError(ErrorCodes.NOT_A_CAMERA,
          `camera "${name}": the factory returned ${typeof made}, not a camera. Return an instance of a Polaroid subclass.`);
      }
      return made;
    };
    plans.push(plan);
  }
  // Two cameras with one cameraName (the same class configured twice) keep their configured names.
  for (const plan of plans) {
    if (plan.name !== plan.source && plans.filter((p) => p.name === plan.name).length > 1) {
      for (const twin of plans.filter((p) => p.name === plan.name)) twin.name = twin.source;
    }
  }
  if (plans.filter((p) => p.settings.clearAfter).length > 0 && plans.length > 1) {
    throw new EvcamError(ErrorCodes.CONFIG_INVALID,
      'clearAfter clears the State every camera shares; use it with a single camera only.');
  }
  return plans;
}
