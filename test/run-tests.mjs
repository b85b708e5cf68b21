#!/usr/bin/env node
// Runs every compiled test (packages, plugins, cross-package) with node's test runner,
// so the output ends with the runner's own summary.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = [];
for (const group of ['packages', 'plugins']) {
  for (const name of readdirSync(join(root, group))) {
    const dist = join(root, group, name, 'dist');
    if (existsSync(dist)) dirs.push(dist);
  }
}
if (existsSync(join(root, 'test', 'dist'))) dirs.push(join(root, 'test', 'dist'));
const only = process.argv.slice(2);
const args = ['--test', '--test-reporter=spec', '--test-concurrency=1', '--test-timeout=600000', ...(only.length ? only : dirs)];
const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
