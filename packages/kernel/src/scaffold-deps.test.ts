import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { evcamSources } from './scaffold-deps.js';

const tmp = mkdtempSync(join(tmpdir(), 'evcam-sources-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function write(file: string, content: unknown): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
}

/** A package directory with an ESM entry point Node can resolve. */
function pkg(dir: string, name: string, dependencies: Record<string, string> = {}): string {
  write(join(dir, 'package.json'), { name, version: '0.1.0', type: 'module', exports: { '.': { default: './dist/index.js' } }, dependencies });
  write(join(dir, 'dist', 'index.js'), 'export {};\n');
  return dir;
}

/** An app that installed evcam-kernel, with npm's hidden lockfile saying from where. */
function app(name: string, resolved: Record<string, string> | null): string {
  const root = join(tmp, name);
  pkg(join(root, 'node_modules', 'evcam-kernel'), 'evcam-kernel', { '@evcam/retry': '^0.1.0' });
  pkg(join(root, 'node_modules', '@evcam', 'retry'), '@evcam/retry');
  pkg(join(root, 'node_modules', '@evcam', 'camera-api'), '@evcam/camera-api');
  if (resolved) {
    const packages = Object.fromEntries(Object.entries(resolved).map(([n, r]) => [`node_modules/${n}`, { version: '0.1.0', resolved: r }]));
    write(join(root, 'node_modules', '.package-lock.json'), { lockfileVersion: 3, packages });
  }
  return join(root, 'node_modules', 'evcam-kernel');
}

describe('where new-camera takes the evcam packages from', () => {
  it('installed from the registry: registry ranges, as for any package', () => {
    const kernel = app('published', {
      'evcam-kernel': 'https://registry.npmjs.org/evcam-kernel/-/evcam-kernel-0.1.0.tgz',
      '@evcam/camera-api': 'https://registry.npmjs.org/@evcam/camera-api/-/camera-api-0.1.0.tgz',
    });
    assert.deepEqual(evcamSources(kernel), { kind: 'registry' });
  });

  it('installed with no npm lockfile to tell: registry ranges', () => {
    assert.deepEqual(evcamSources(app('unknown', null)), { kind: 'registry' });
  });

  it('installed from local tarballs: those tarballs (with the evcam packages they need), and the test kit packed beside the kernel', () => {
    const tarballs = join(tmp, 'packed');
    write(join(tarballs, 'evcam-camera-testkit-0.1.0.tgz'), 'tgz');
    const kernel = app('from-tarballs', {
      'evcam-kernel': 'file:../packed/evcam-kernel-0.1.0.tgz',
      '@evcam/camera-api': 'file:../packed/evcam-camera-api-0.1.0.tgz',
      '@evcam/retry': 'file:../packed/evcam-retry-0.1.0.tgz',
    });
    assert.deepEqual(evcamSources(kernel), {
      kind: 'local', from: 'tarballs', specs: {
        '@evcam/camera-api': `file:${join(tarballs, 'evcam-camera-api-0.1.0.tgz')}`,
        '@evcam/camera-testkit': `file:${join(tarballs, 'evcam-camera-testkit-0.1.0.tgz')}`,
        'evcam-kernel': `file:${join(tarballs, 'evcam-kernel-0.1.0.tgz')}`,
        '@evcam/retry': `file:${join(tarballs, 'evcam-retry-0.1.0.tgz')}`,
      },
    });
  });

  it('run from a source checkout: the package directories it runs from, and the evcam packages they need', () => {
    const repo = join(tmp, 'repo');
    const kernel = pkg(join(repo, 'packages', 'kernel'), 'evcam-kernel', { '@evcam/camera-api': '0.1.0', pino: '^10' });
    const api = pkg(join(repo, 'packages', 'camera-api'), '@evcam/camera-api');
    const kit = pkg(join(repo, 'packages', 'camera-testkit'), '@evcam/camera-testkit', { '@evcam/retry': '^0.1.0', 'evcam-kernel': '0.1.0' });
    const retry = pkg(join(repo, 'packages', 'retry'), '@evcam/retry');
    // npm workspaces link each package into the root node_modules.
    mkdirSync(join(repo, 'node_modules', '@evcam'), { recursive: true });
    for (const [name, dir] of [['camera-api', api], ['camera-testkit', kit], ['retry', retry]]) {
      symlinkSync(dir, join(repo, 'node_modules', '@evcam', name), 'dir');
    }
    assert.deepEqual(evcamSources(kernel), {
      kind: 'local', from: 'checkout', specs: {
        '@evcam/camera-api': `file:${api}`,
        '@evcam/camera-testkit': `file:${kit}`,
        'evcam-kernel': `file:${kernel}`,
        '@evcam/retry': `file:${retry}`,
      },
    });
  });
});
