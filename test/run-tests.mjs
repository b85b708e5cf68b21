#!/usr/bin/env node
// Runs the compiled tests (packages, plugins, cross-package) with node's test runner,
// so the output ends with the runner's own summary.
//   node test/run-tests.mjs            every test
//   node test/run-tests.mjs --unit     only the fast ones: everything except *.int.test.* (real services, processes)
//   node test/run-tests.mjs FILE...    just these compiled files
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const only = args.filter((a) => a !== '--unit');

/** Compiled tests whose source still exists: a renamed or deleted test leaves a stale .js in dist. */
function compiledTests(dist, src) {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) { if (entry.name !== 'node_modules' && entry.name !== 'fixtures') walk(path); continue; }
      if (!entry.name.endsWith('.test.js')) continue;
      if (unitOnly && entry.name.endsWith('.int.test.js')) continue;
      const source = join(src, relative(dist, path)).replace(/\.js$/, '.ts');
      if (existsSync(source)) found.push(path);
    }
  };
  if (existsSync(dist)) walk(dist);
  return found;
}

const files = [];
for (const group of ['packages', 'plugins']) {
  for (const name of readdirSync(join(root, group))) {
    files.push(...compiledTests(join(root, group, name, 'dist'), join(root, group, name, 'src')));
  }
}
files.push(...compiledTests(join(root, 'test', 'dist'), join(root, 'test')));

const timeout = unitOnly ? '120000' : '600000';
const runnerArgs = ['--test', '--test-reporter=spec', '--test-concurrency=1', `--test-timeout=${timeout}`, ...(only.length ? only : files)];
const result = spawnSync(process.execPath, runnerArgs, { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
