import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The evcam packages a scaffolded camera depends on. */
export const EVCAM_PACKAGES = ['@evcam/camera-api', '@evcam/camera-testkit', 'evcam-kernel'] as const;

/**
 * Where the scaffold's evcam dependencies come from. `local`: this kernel was not
 * installed from the registry (a checkout of the repository, a `file:` directory, or
 * local tarballs), so the packages may not be published: each is a `file:` spec to
 * the copy this kernel runs from. `registry`: ranges, as for any package.
 */
export type EvcamSources =
  | { kind: 'registry' }
  | { kind: 'local'; from: 'checkout' | 'tarballs'; specs: Partial<Record<(typeof EVCAM_PACKAGES)[number], string>> };

const NODE_MODULES = `${sep}node_modules${sep}`;

/** npm's tarball name for a package: `@evcam/camera-api` 0.1.0 → `evcam-camera-api-0.1.0.tgz`. */
const tarballName = (name: string, version: string): string => `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;

function readJson(file: string): any {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The directory of package `name` as Node resolves it from `fromDir` (exports need not expose package.json). */
function packageDir(name: string, fromDir: string): string | undefined {
  let entry: string;
  try {
    entry = createRequire(join(fromDir, 'package.json')).resolve(name);
  } catch {
    return undefined;
  }
  for (let dir = dirname(realpathSync(entry)); dir !== dirname(dir); dir = dirname(dir)) {
    if (readJson(join(dir, 'package.json'))?.name === name) return dir;
  }
  return undefined;
}

/** A source tree (a checkout, or a `file:` directory npm linked): point at the package directories. */
function fromCheckout(kernelDir: string): EvcamSources {
  const specs: Record<string, string> = {};
  for (const name of EVCAM_PACKAGES) {
    const dir = name === 'evcam-kernel' ? kernelDir : packageDir(name, kernelDir);
    if (dir !== undefined) specs[name] = `file:${dir}`;
  }
  return { kind: 'local', from: 'checkout', specs };
}

/**
 * Installed under node_modules: npm's lockfile says where it came from. `file:` (a
 * tarball) → the tarballs it and its siblings were installed from; else the registry.
 */
function fromInstall(kernelDir: string, version: string): EvcamSources {
  const at = kernelDir.lastIndexOf(NODE_MODULES);
  const root = kernelDir.slice(0, at);
  const lock = readJson(join(root, 'node_modules', '.package-lock.json')) ?? readJson(join(root, 'package-lock.json'));
  const entries = (lock?.packages ?? {}) as Record<string, { resolved?: string; version?: string }>;
  const resolvedFile = (key: string): string | undefined => {
    const resolved = entries[key]?.resolved;
    return resolved?.startsWith('file:') ? resolve(root, resolved.slice('file:'.length)) : undefined;
  };
  const kernelKey = relative(root, kernelDir).split(sep).join('/');
  const kernelTarball = resolvedFile(kernelKey);
  if (kernelTarball === undefined) return { kind: 'registry' };
  // A directory npm copied (install-links): the packages of that source tree.
  if (!kernelTarball.endsWith('.tgz')) return existsSync(kernelTarball) ? fromCheckout(realpathSync(kernelTarball)) : { kind: 'registry' };
  const specs: Record<string, string> = {};
  for (const name of EVCAM_PACKAGES) {
    const installed = name === 'evcam-kernel' ? kernelTarball
      : resolvedFile(`${kernelKey}/node_modules/${name}`) ?? resolvedFile(`node_modules/${name}`);
    // Not installed beside the kernel (e.g. the test kit): the tarball packed next to the kernel's.
    const sibling = join(dirname(kernelTarball), tarballName(name, version));
    const tarball = installed ?? (existsSync(sibling) ? sibling : undefined);
    if (tarball !== undefined) specs[name] = `file:${tarball}`;
  }
  return { kind: 'local', from: 'tarballs', specs };
}

/** Where this kernel (the package at `kernelDir`) and its sibling packages come from. */
export function evcamSources(kernelDir = fileURLToPath(new URL('..', import.meta.url))): EvcamSources {
  const dir = realpathSync(kernelDir);
  const version = readJson(join(dir, 'package.json'))?.version as string;
  return dir.includes(NODE_MODULES) ? fromInstall(dir, version) : fromCheckout(dir);
}
