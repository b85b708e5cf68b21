import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  API_VERSION, EvcamError, ErrorCodes, isCameraClass,
  type CameraClass, type CameraContext, type OptionsSchema, type Polaroid, type PolaroidSettings,
} from '@evcam/camera-api';
import { cameraOptionTexts, readCameraOptions } from '../config/load.js';
import type { CameraEntry, CameraFactory, CameraSpec, ResolvedConfig } from '../config/schema.js';

/** Camera API versions this kernel can drive. */
export const SUPPORTED_API_VERSIONS: readonly number[] = [API_VERSION];

/** The project's own cameras, by short name. */
export const BUILTIN_CAMERAS: Readonly<Record<string, string>> = {
  file: '@evcam/camera-file',
  s3: '@evcam/camera-s3',
  elasticsearch: '@evcam/camera-elasticsearch',
  postgres: '@evcam/camera-postgres', sqlite: '@evcam/camera-sqlite',
  web: '@evcam/camera-web',
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

/** A short name the loader expands (`kafka`), as opposed to a built-in, a package name or a path. */
const isShortName = (name: string): boolean =>
  !BUILTIN_CAMERAS[name] && !name.startsWith('@') && !name.includes('/') && !name.startsWith('evcam-camera-');

/** Package names to try for a camera name, in order (scoped `@SCOPE/evcam-camera-NAME` are found by scanning). */
export function candidatesFor(name: string): string[] {
  if (BUILTIN_CAMERAS[name]) return [BUILTIN_CAMERAS[name]];
  if (!isShortName(name)) return [name];
  return [`@evcam/camera-${name}`, `evcam-camera-${name}`, name];
}

/** `@scope/pkg/sub/path` → `@scope/pkg`; `pkg/sub` → `pkg`. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Every node_modules directory Node would search from these directories, nearest first, without repeats. */
export function nodeModulesDirs(starts: readonly string[]): string[] {
  const out: string[] = [];
  for (const start of starts) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const candidate = basename(dir) === 'node_modules' ? dir : join(dir, 'node_modules');
      if (!out.includes(candidate) && existsSync(candidate)) out.push(candidate);
      if (dirname(dir) === dir) break;
    }
  }
  return out;
}

interface Installed { specifier: string; nodeModules: string }

/** The first of these node_modules directories holding the package, or null. */
function installedIn(specifier: string, dirs: readonly string[]): Installed | null {
  const pkg = packageNameOf(specifier);
  const nodeModules = dirs.find((dir) => existsSync(join(dir, pkg, 'package.json')));
  return nodeModules === undefined ? null : { specifier, nodeModules };
}

/** Installed `@scope/evcam-camera-NAME` packages, any scope. */
function scopedCameras(name: string, dirs: readonly string[]): string[] {
  const found: string[] = [];
  for (const dir of dirs) {
    let scopes: string[];
    try {
      scopes = readdirSync(dir).filter((entry) => entry.startsWith('@'));
    } catch {
      continue;
    }
    for (const scope of scopes) {
      const pkg = `${scope}/evcam-camera-${name}`;
      if (!found.includes(pkg) && existsSync(join(dir, pkg, 'package.json'))) found.push(pkg);
    }
  }
  return found;
}

/** The module a failed import could not find, and which file imported it (ESM and CommonJS errors). */
export function missingImport(err: unknown): { missing: string; importer: string | null } | null {
  const e = err as NodeJS.ErrnoException & { requireStack?: string[] };
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' && e?.code !== 'MODULE_NOT_FOUND') return null;
  const message = String(e.message);
  const esm = /Cannot find (?:package|module) '([^']+)' imported from ([^\n]+)/.exec(message);
  if (esm) {
    const importer = esm[2].trim();
    return { missing: esm[1], importer: importer.startsWith('file:') ? fileURLToPath(importer) : importer };
  }
  const cjs = /Cannot find module '([^']+)'/.exec(message);
  if (cjs) return { missing: cjs[1], importer: e.requireStack?.[0] ?? null };
  return null;
}

async function importModule(specifier: string, configDir: string, resolveFrom: string): Promise<unknown> {
  if (isPathLike(specifier)) {
    const file = resolve(configDir, specifier);
    if (/\.(c|m)?ts$/.test(file)) {
      const { createJiti } = await import('jiti'); // only for TypeScript cameras: keeps it out of start-up
      return createJiti(import.meta.url, { interopDefault: false }).import(file);
    }
    return import(pathToFileURL(file).href);
  }
  // Resolve from the project that has the package installed, else from the kernel.
  let resolved: string | null = null;
  try {
    resolved = createRequire(join(resolveFrom, 'noop.js')).resolve(specifier);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw err;
  }
  return resolved === null ? import(specifier) : import(pathToFileURL(resolved).href);
}

/** An installed camera that does not import: name the missing module and who imports it. */
function importFailed(spec: string, specifier: string, where: string, err: unknown): EvcamError {
  const cause = missingImport(err);
  if (cause === null) {
    return new EvcamError(ErrorCodes.CAMERA_IMPORT,
      `camera "${spec}" (${specifier}, at ${where}) is installed but failed to import: ${(err as Error)?.message ?? String(err)}. ` +
      'Fix or reinstall the camera, or pick another camera.', { cause: err });
  }
  const by = cause.importer === null ? '' : `, imported by ${cause.importer}`;
  const fix = cause.missing.startsWith('.') || isAbsolute(cause.missing) || cause.missing.startsWith('file:')
    ? "the camera's package is incomplete: reinstall (or rebuild) it"
    : `install it where the camera can find it (npm install ${packageNameOf(cause.missing)}) or reinstall the camera so its dependencies come with it`;
  return new EvcamError(ErrorCodes.CAMERA_IMPORT,
    `camera "${spec}" (${specifier}, at ${where}) is installed but cannot be imported: it needs "${cause.missing}"${by}, which is not installed; ${fix}.`,
    { cause: err });
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
export async function resolveCamera(spec: CameraSpec, configDir: string, cwd: string = process.cwd()): Promise<{ name: string; camera: CameraClass | CameraFactory }> {
  if (typeof spec === 'function') {
    return { name: (spec as { cameraName?: string }).cameraName ?? spec.name ?? 'camera', camera: spec };
  }
  const { specifier, where, resolveFrom } = locateCamera(spec, configDir, cwd);
  let mod: unknown;
  try {
    mod = await importModule(specifier, configDir, resolveFrom);
  } catch (err) {
    throw importFailed(spec, specifier, where, err);
  }
  const camera = pickCamera(mod);
  if (camera === null) {
    throw new EvcamError(ErrorCodes.NOT_A_CAMERA,
      `camera "${spec}" (${specifier}) does not export a camera: it exports ${describeExports(mod)}. ` +
      'Export default a class extending Polaroid from @evcam/camera-api (or a factory function returning one).');
  }
  return { name: spec, camera };
}

/**
 * Which installed module a camera name means. A file must exist; a package must
 * have a directory in a node_modules Node searches from the config, the working
 * directory or the kernel. A short name may be @evcam/camera-NAME,
 * evcam-camera-NAME or @any-scope/evcam-camera-NAME: exactly one may be installed
 * (a package named NAME itself only when none is).
 */
function locateCamera(spec: string, configDir: string, cwd: string): { specifier: string; where: string; resolveFrom: string } {
  if (isPathLike(spec)) {
    const file = resolve(configDir, spec);
    if (!existsSync(file)) {
      throw new EvcamError(ErrorCodes.CAMERA_NOT_INSTALLED,
        `camera "${spec}" is not installed: there is no file ${file} (paths are relative to ${configDir}); create it, or fix the path.`);
    }
    return { specifier: spec, where: file, resolveFrom: configDir };
  }
  const dirs = nodeModulesDirs([configDir, cwd, fileURLToPath(new URL('.', import.meta.url))]);
  const short = isShortName(spec);
  const named = short ? candidatesFor(spec).slice(0, -1) : candidatesFor(spec);
  const scoped = short ? scopedCameras(spec, dirs).filter((pkg) => !named.includes(pkg)) : [];
  const found = [...named, ...scoped].map((specifier) => installedIn(specifier, dirs)).filter((c): c is Installed => c !== null);
  if (found.length > 1) {
    throw new EvcamError(ErrorCodes.CAMERA_AMBIGUOUS,
      `camera "${spec}" matches ${found.length} installed packages: ` +
      `${found.map((c) => `${c.specifier} (in ${c.nodeModules})`).join(', ')}; ` +
      `name the one you mean in full (e.g. --camera ${found[0].specifier}), or uninstall the others.`);
  }
  const chosen = found[0] ?? (short ? installedIn(spec, dirs) : null);
  if (chosen !== null) {
    return { specifier: chosen.specifier, where: join(chosen.nodeModules, packageNameOf(chosen.specifier)), resolveFrom: dirname(chosen.nodeModules) };
  }
  const tried = short ? [...named, `@*/evcam-camera-${spec}`, spec] : named;
  throw new EvcamError(ErrorCodes.CAMERA_NOT_INSTALLED,
    `camera "${spec}" is not installed (tried ${tried.join(', ')} in ${dirs.join(', ') || `the node_modules above ${configDir}`}); ` +
    `install it: npm install ${tried[0]}${short ? ` (or npm install evcam-camera-${spec}, or your scope's @scope/evcam-camera-${spec})` : ''}`);
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

type Issues = readonly { message: string; path?: readonly (PropertyKey | { key: PropertyKey })[] }[];

const issuePath = (issue: Issues[number]): string[] =>
  (issue.path ?? []).map((p) => (typeof p === 'object' ? String(p.key) : String(p)));
const under = (path: readonly string[], prefix: readonly string[]): boolean => prefix.every((key, i) => path[i] === key);

/**
 * Validate options with the camera's schema (any Standard Schema: zod, valibot, ...).
 * A `--camera-option` value that reads as JSON is tried as JSON first; where the
 * schema refuses it, as the text typed (so a string option given `123` gets "123").
 */
export async function validateOptions(name: string, schema: OptionsSchema | undefined, options: unknown): Promise<unknown> {
  if (schema === undefined) return readCameraOptions(options);
  if (typeof (schema as { '~standard'?: { validate?: unknown } })['~standard']?.validate !== 'function') {
    throw new EvcamError(ErrorCodes.NOT_A_CAMERA,
      `camera "${name}" declares an optionsSchema that is not a Standard Schema (zod 3.24+, valibot 1, arktype 2 ...).`);
  }
  const validate = async (asText: (path: readonly string[]) => boolean) => schema['~standard'].validate(readCameraOptions(options, asText));
  let result = await validate(() => false);
  const texts = cameraOptionTexts(options);
  if (result.issues && texts.length > 0) {
    const refused = result.issues.map(issuePath);
    const retry = texts.filter((path) => refused.some((prefix) => under(path, prefix)));
    if (retry.length > 0) {
      const isRetried = (path: readonly string[]) => retry.some((p) => p.length === path.length && under(path, p));
      const asTextResult = await validate(isRetried);
      if (!asTextResult.issues) {
        result = asTextResult;
      } else {
        // Keep the text only where it did not fail too.
        const stillRefused = asTextResult.issues.map(issuePath);
        const helped = retry.filter((path) => !stillRefused.some((prefix) => under(path, prefix)));
        if (helped.length > 0) result = await validate((path) => helped.some((p) => p.length === path.length && under(path, p)));
      }
    }
  }
  if (result.issues) {
    const detail = result.issues.map((issue) => `${issuePath(issue).join('.') || '(options)'}: ${issue.message}`).join('; ');
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
