#!/usr/bin/env node
// Gives every workspace package what test/package-contents.int.test.ts asks of it: the root
// LICENSE copied in, repository (with its directory), homepage, bugs, engines, and a caret
// peer on @evcam/camera-api. `files`, README and description stay the package author's.
// Run after adding a package: node scripts/package-metadata.mjs
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const repo = rootPkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');

for (const group of rootPkg.workspaces.map((glob) => glob.replace(/\/\*$/, ''))) {
  for (const name of readdirSync(join(root, group))) {
    const dir = `${group}/${name}`;
    const file = join(root, dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    if (pkg.private) continue;
    pkg.homepage ??= `${repo}/tree/main/${dir}#readme`;
    pkg.repository = { type: 'git', url: rootPkg.repository.url, directory: dir };
    pkg.bugs ??= { url: `${repo}/issues` };
    pkg.engines ??= { node: rootPkg.engines.node };
    const api = pkg.peerDependencies?.['@evcam/camera-api'];
    if (api) pkg.peerDependencies['@evcam/camera-api'] = `^${api.replace(/^[\^~]/, '')}`;
    writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
    copyFileSync(join(root, 'LICENSE'), join(root, dir, 'LICENSE'));
  }
}
