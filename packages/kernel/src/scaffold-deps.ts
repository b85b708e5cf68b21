import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The evcam packages a scaffolded camera depends on directly. */
export const EVCAM_PACKAGES = ['@evcam/camera-api', '@evcam/camera-testkit', 'evcam-kernel'] as const;

/**
 * Where the scaffold's evcam dependencies come from. `local`: this kernel was not
 * installed from the registry (a checkout of the repository, a `file:` directory, or
 * local tarballs), so the packages may not be published: each is a `file:` spec to
 * the copy this kernel runs from. `specs` also holds the evcam packages those depend
 * on (e.g. `@evcam/retry`), so npm finds every one of them without the registry.
 * `registry`: ranges, as for any package.
 */
export type EvcamSources =
  | { kind: 'registry' }
  | { kind: 'local'; from: 'checkout' | 'tarballs'; specs: Record<string, string> };

const NODE_MODULES = `${sep}node_modules${sep}`;

/** This project's packages: the ones that may be unpublished. */
const isEvcam = (name: string): boolean => name.startsWith('@evcam/') || name === 'evcam-kernel' || name.startsWith('evcam-camera-');

/** npm's tarball name for a package: `@evcam/camera-api` 0.1.0 → `evcam-camera-api-0.1.0.tgz`. */
const tarballName = (name: string, version: string): string => `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;

function readJson(file: string): any {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The evcam packages a package depends on (dependencies and peers: npm installs both). */
const evcamDeps = (pkg: any): string[] =>
  Object.keys({ ...pkg?.dependencies, ...pkg?.peerDependencies }).filter(isEvcam);

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

/** Walk from the direct packages through their evcam dependencies; `find` gives a package's directory and spec. */
function closure(find: (name: string, from: string) => { dir: string; spec: string } | undefined, start: string): Record<string, string> {
  const specs: Record<string, string> = {};
  const queue: [string, string][] = EVCAM_PACKAGES.map((name) => [name, start]);
  while (queue.length > 0) {
    const [name, from] = queue.shift()!;
    if (name in specs) continue;
    const found = find(name, from);
    if (found === undefined) continue;
    specs[name] = found.spec;
    for (const dep of evcamDeps(readJson(join(found.dir, 'package.json')))) queue.push([dep, found.dir]);
  }
  return specs;
}

/** A source tree (a checkout, or a `file:` directory npm linked): point at the package directories. */
function fromCheckout(kernelDir: string): EvcamSources {
  const specs = closure((name, from) => {
    const dir = name === 'evcam-kernel' ? kernelDir : packageDir(name, from);
    return dir === undefined ? undefined : { dir, spec: `file:${dir}` };
  }, kernelDir);
  return { kind: 'local', from: 'checkout', specs };
}

/**
 * Installed under node_modules: npm's lockfile says where it came from. `file:` (a
 * tarball) → the tarballs it and its siblings were installed from; else the registry.
 */
function fromInstall(kernelDir: string): EvcamSources {
  const root = kernelDir.slice(0, kernelDir.lastIndexOf(NODE_MODULES));
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
  const version = readJson(join(kernelDir, 'package.json'))?.version as string;
  const specs = closure((name) => {
    const key = name === 'evcam-kernel' ? kernelKey : `node_modules/${name}`;
    const installed = resolvedFile(key) ?? resolvedFile(`${kernelKey}/node_modules/${name}`);
    // Not installed beside the kernel (e.g. the test kit): the tarball packed next to the kernel's.
    const sibling = join(dirname(kernelTarball), tarballName(name, entries[key]?.version ?? version));
    const tarball = installed ?? (existsSync(sibling) ? sibling : undefined);
    if (tarball === undefined) return undefined;
    // Its package.json, to follow its own evcam dependencies: installed, or nothing to follow.
    const dir = name === 'evcam-kernel' ? kernelDir : join(root, 'node_modules', name);
    return { dir, spec: `file:${tarball}` };
  }, kernelDir);
  return { kind: 'local', from: 'tarballs', specs };
}

/** Where this kernel (the package at `kernelDir`) and its sibling packages come from. */
export function evcamSources(kernelDir = fileURLToPath(new URL('..', import.meta.url))): EvcamSources {
  const dir = realpathSync(kernelDir);
  return dir.includes(NODE_MODULES) ? fromInstall(dir) : fromCheckout(dir);
}
