import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

// vendor/build.mjs (plain JS beside the package, not compiled): a variable keeps tsc from resolving it.
const buildScript = new URL('../vendor/build.mjs', import.meta.url).href;

test('vendor/inversify.js is the bundle of the installed inversify (npm run vendor -w evcam-kernel after an upgrade)', async () => {
  const { buildVendor, installedVersions } = await import(buildScript) as {
    buildVendor(): Promise<string>; installedVersions(): string[];
  };
  const committed = readFileSync(new URL('../vendor/inversify.js', import.meta.url), 'utf8');
  const header = committed.slice(0, committed.indexOf('\n'));
  assert.ok(installedVersions().every((v) => header.includes(v)), `${header} vs installed ${installedVersions().join(', ')}`);
  assert.equal(committed, await buildVendor());
});

test('#inversify is the vendored bundle, and the same code as the inversify package', async () => {
  const vendored = await import('#inversify') as Record<string, unknown>;
  const installed = await import('inversify') as Record<string, unknown>;
  assert.notEqual(vendored.Container, installed.Container, 'the kernel does not load the 250-file package');
  assert.deepEqual(Object.keys(vendored).sort(), Object.keys(installed).sort());
});
