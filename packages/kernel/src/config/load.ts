import { dirname, resolve } from 'node:path';
import { EvcamError, ErrorCodes } from '@evcam/camera-api';
import { cosmiconfig } from 'cosmiconfig';
import { TypeScriptLoader } from 'cosmiconfig-typescript-loader';
import type { z } from 'zod';
import { finalizeConfig } from './finalize.js';
import { configSchema, type EvcamConfig, type ResolvedConfig } from './schema.js';

export const SEARCH_PLACES = [
  'package.json', '.evcamrc', '.evcamrc.json', '.evcamrc.yaml', '.evcamrc.yml', '.evcamrc.js', '.evcamrc.mjs', '.evcamrc.cjs',
  'evcam.config.ts', 'evcam.config.js', 'evcam.config.mjs', 'evcam.config.cjs', 'evcam.config.json',
];

export interface LoadedConfig {
  config: ResolvedConfig;
  /** The file the config came from, or null when the built-in defaults were used. */
  filepath: string | null;
  /** Relative paths in the config (cameras, dirs) resolve against this. */
  configDir: string;
}

export interface LoadOptions {
  /** --config PATH; when absent, search from cwd like cosmiconfig does. */
  configPath?: string;
  cwd?: string;
  /** CLI flags, already shaped like the config; they win over the file. */
  overrides?: EvcamConfig;
  /** --camera NAME and --camera-option KEY=VALUE. */
  camera?: { name?: string; options: Record<string, unknown> };
  env?: NodeJS.ProcessEnv;
}

function explorer() {
  return cosmiconfig('evcam', {
    searchStrategy: 'project',
    searchPlaces: SEARCH_PLACES,
    loaders: { '.ts': TypeScriptLoader() },
  });
}

/** Find, load, merge (defaults < file < environment < flags) and validate the config. */
export async function loadConfig(options: LoadOptions = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  let raw: Record<string, unknown> = {};
  let filepath: string | null = null;
  try {
    const found = options.configPath
      ? await explorer().load(resolve(cwd, options.configPath))
      : await explorer().search(cwd);
    if (found && !found.isEmpty) {
      filepath = found.filepath;
      const value = (found.config as { default?: unknown })?.default ?? found.config;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new EvcamError(ErrorCodes.CONFIG_INVALID,
          `${filepath}: the config must be an object (export default defineConfig({ ... })).`);
      }
      raw = value as Record<string, unknown>;
    } else if (found?.isEmpty) {
      filepath = found.filepath;
    }
  } catch (err) {
    if (EvcamError.is(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (options.configPath && code === 'ENOENT') {
      throw new EvcamError(ErrorCodes.CONFIG_NOT_FOUND,
        `config file ${resolve(cwd, options.configPath)} does not exist: check --config, or drop it to search from ${cwd}.`);
    }
    throw new EvcamError(ErrorCodes.CONFIG_INVALID,
      `could not load ${options.configPath ?? 'the evcam config'}: ${(err as Error).message}`, { cause: err });
  }
  if (options.camera && (options.camera.name !== undefined || Object.keys(options.camera.options).length > 0)) {
    raw = applyCameraFlags(raw, options.camera.name, options.camera.options);
  }
  const merged = mergeConfig(mergeConfig(raw, envConfig(env)), options.overrides ?? {});
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    throw new EvcamError(ErrorCodes.CONFIG_INVALID,
      `${filepath ?? 'config'}: ${formatIssues(parsed.error.issues)}`);
  }
  return { config: finalizeConfig(parsed.data, env), filepath, configDir: filepath ? dirname(filepath) : cwd };
}

/** Secrets may come from the environment instead of the file. */
function envConfig(env: NodeJS.ProcessEnv): EvcamConfig {
  const out: EvcamConfig = {};
  if (env.EVCAM_BROKER_URL) out.broker = env.EVCAM_BROKER_URL;
  if (env.EVCAM_LOG_LEVEL) out.log = { level: env.EVCAM_LOG_LEVEL as 'info' };
  return out;
}

/** `key: problem` for each issue, with dotted key paths. */
export function formatIssues(issues: readonly z.core.$ZodIssue[] | readonly { path?: readonly PropertyKey[] | readonly { key: PropertyKey }[]; message: string }[]): string {
  return issues.map((issue) => {
    const path = (issue.path ?? []).map((p) => (typeof p === 'object' && p !== null && 'key' in p ? String(p.key) : String(p))).join('.');
    return `${path || '(root)'}: ${issue.message}`;
  }).join('; ');
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** Deep merge where `over` wins; arrays and class values are replaced, not merged. */
export function mergeConfig(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? mergeConfig(out[key] as Record<string, unknown>, value) : value;
  }
  return out;
}

/**
 * A `--camera-option` value that reads as JSON (`123`, `true`, `["a"]`): both
 * readings are kept, and the camera's optionsSchema decides (cameras/loader.ts):
 * the JSON value where the schema accepts it, else the text as typed.
 */
export class CameraOptionText {
  constructor(readonly text: string, readonly json: unknown) {}
}

/** `--camera-option a.b=1` → { a: { b: CameraOptionText('1', 1) } }; text that is not JSON stays a string. */
export function parseCameraOptionFlags(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new EvcamError(ErrorCodes.USAGE, `--camera-option "${pair}" must look like KEY=VALUE (dotted keys for nesting, e.g. tls.ca=./ca.pem).`);
    }
    const keys = pair.slice(0, eq).split('.');
    const text = pair.slice(eq + 1);
    let value: unknown = text;
    try {
      const json: unknown = JSON.parse(text);
      if (json !== text) value = new CameraOptionText(text, json);
    } catch { /* a plain string */ }
    let node = out;
    for (const key of keys.slice(0, -1)) {
      if (!isPlainObject(node[key])) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = value;
  }
  return out;
}

/** Options with every CameraOptionText read one way: as JSON, or (for the paths given) as the text typed. */
export function readCameraOptions(options: unknown, asText: (path: readonly string[]) => boolean = () => false, path: string[] = []): unknown {
  if (options instanceof CameraOptionText) return asText(path) ? options.text : options.json;
  if (!isPlainObject(options)) return options;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) out[key] = readCameraOptions(value, asText, [...path, key]);
  return out;
}

/** Paths of the CameraOptionText values in options. */
export function cameraOptionTexts(options: unknown, path: string[] = []): string[][] {
  if (options instanceof CameraOptionText) return [path];
  if (!isPlainObject(options)) return [];
  return Object.entries(options).flatMap(([key, value]) => cameraOptionTexts(value, [...path, key]));
}

/** `--camera-option a.b=1` → { a: { b: 1 } }; values parse as JSON where they can. */
export function parseCameraOptions(pairs: readonly string[]): Record<string, unknown> {
  return readCameraOptions(parseCameraOptionFlags(pairs)) as Record<string, unknown>;
}

function specName(item: unknown): unknown {
  return isPlainObject(item) && 'use' in item ? item.use : item;
}

/**
 * Apply `--camera NAME` and `--camera-option` to a raw config: the same camera
 * keeps its file options (flags win); another camera replaces the list.
 */
export function applyCameraFlags(raw: Record<string, unknown>, name: string | undefined, options: Record<string, unknown>): Record<string, unknown> {
  const list = Array.isArray(raw.cameras) ? raw.cameras : raw.camera === undefined ? ['file'] : [raw.camera];
  const first = list[0];
  const firstOptions = {
    ...(isPlainObject(first) && isPlainObject(first.options) ? first.options : {}),
    ...(isPlainObject(raw.cameraOptions) ? raw.cameraOptions : {}),
  };
  const out = { ...raw };
  delete out.camera;
  delete out.cameraOptions;
  if (name !== undefined && specName(first) !== name) {
    out.cameras = [{ use: name, options }];
    return out;
  }
  const entry: Record<string, unknown> = isPlainObject(first) ? { ...first } : { use: first };
  entry.options = mergeConfig(firstOptions, options);
  out.cameras = [entry, ...list.slice(1)];
  return out;
}
