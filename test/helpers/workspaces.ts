import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

export interface Workspace {
  /** Path from the repository root, e.g. `plugins/camera-file`. */
  dir: string;
  pkg: Record<string, any>;
}

/** Every publishable workspace package, from the root package.json's `workspaces` globs (`group/*` only). */
export function workspaces(): Workspace[] {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  const found: Workspace[] = [];
  for (const glob of root.workspaces) {
    const group = glob.replace(/\/\*$/, '');
    if (group === glob) throw new Error(`workspace pattern ${glob}: only "group/*" patterns are supported here`);
    for (const name of readdirSync(join(ROOT, group)).sort()) {
      const file = join(ROOT, group, name, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
      if (!pkg.private) found.push({ dir: `${group}/${name}`, pkg });
    }
  }
  return found;
}

/** One entry of `npm pack --json`. */
export interface Packed {
  name: string;
  version: string;
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

/** `npm pack --workspaces` into `destination`; the tarballs' names, sizes and file lists. */
export function packWorkspaces(destination: string): Packed[] {
  const run = spawnSync('npm', ['pack', '--workspaces', '--pack-destination', destination, '--json', '--loglevel=error'], {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`npm pack --workspaces failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as Packed[];
}
