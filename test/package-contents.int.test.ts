import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path/posix';
import { after, before, describe, it } from 'node:test';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { ROOT } from './helpers/paths.js';
import { packWorkspaces, workspaces, type Packed, type Workspace } from './helpers/workspaces.js';

// What a user installing a tarball must never get: build state, compiled tests, test fakes, archives.
const FORBIDDEN: [RegExp, string][] = [
  [/\.tsbuildinfo$/, 'TypeScript build state (exclude it with "!dist/.tsbuildinfo" in files)'],
  [/^(dist|src)\/.*\.test\./, 'a test (exclude it with "!dist/**/*.test.*" and "!src/**/*.test.*" in files)'],
  [/(^|\/)node_modules\//, 'node_modules'],
  [/\.tgz$/, 'a tarball'],
];
const TESTING = /^(dist|src)\/testing\//;
const ROOT_LICENSE = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
const REPOSITORY = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).repository.url as string;

/** Test fakes ship only where the package exports them (e.g. `"./testing": ...`) and so documents them. */
const exportsTesting = (pkg: Record<string, any>): boolean => JSON.stringify(pkg.exports ?? {}).includes('/testing');

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Files whose source maps point at a file the tarball lacks, and maps nothing ships. */
function brokenMaps(ws: Workspace, shipped: Set<string>): string[] {
  const broken: string[] = [];
  for (const path of shipped) {
    const text = () => readFileSync(join(ROOT, ws.dir, path), 'utf8');
    if (path.endsWith('.map')) {
      const map = JSON.parse(text()) as { sources: string[]; sourceRoot?: string };
      for (const source of map.sources) {
        const target = normalize(join(dirname(path), map.sourceRoot ?? '', source));
        if (!shipped.has(target)) broken.push(`${path} maps to ${target}, which is not in the tarball`);
      }
    } else if (/\.(c|m)?js$|\.d\.(c|m)?ts$/.test(path)) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text())?.[1];
      if (url && !url.startsWith('data:') && !shipped.has(normalize(join(dirname(path), url)))) {
        broken.push(`${path} names the source map ${url}, which is not in the tarball`);
      }
    }
  }
  return broken;
}

describe('every workspace package is publishable as packed', () => {
  const all = workspaces();
  let tmp: string;
  let packed: Map<string, Packed>;
  /** attw per tarball, started together (two at a time): it is the slow part. */
  const attw = new Map<string, Promise<{ code: number | null; out: string }>>();

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'evcam-pack-'));
    packed = new Map(packWorkspaces(tmp).map((p) => [p.name, p]));
    const lanes: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
    [...packed.values()].forEach((p, i) => {
      const lane = i % lanes.length;
      const result = lanes[lane].then(() => run(join(ROOT, 'node_modules', '.bin', 'attw'),
        [join(tmp, p.filename), '--profile', 'esm-only', '--no-definitely-typed', '--no-color', '--no-emoji']));
      lanes[lane] = result;
      attw.set(p.name, result);
    });
  });
  after(async () => {
    await Promise.all(attw.values());
    rmSync(tmp, { recursive: true, force: true });
  });

  it('found the workspaces', () => {
    assert.ok(all.length >= 6, `only ${all.length} workspace packages found`);
  });

  for (const ws of all) {
    const name = ws.pkg.name as string;
    describe(name, () => {
      it('package.json says what it is, where it lives and what it runs on', () => {
        const { pkg } = ws;
        assert.equal(pkg.license, 'MIT');
        assert.equal(pkg.type, 'module');
        assert.ok(typeof pkg.description === 'string' && pkg.description.length > 10, 'a description');
        assert.match(pkg.engines?.node ?? '', />=\s*20/, 'engines.node');
        assert.deepEqual(pkg.repository, { type: 'git', url: REPOSITORY, directory: ws.dir }, 'repository with its directory (node scripts/package-metadata.mjs sets it)');
        assert.ok(typeof pkg.homepage === 'string' && pkg.homepage.startsWith('https://'), 'homepage');
        const api = pkg.peerDependencies?.['@evcam/camera-api'];
        if (api !== undefined) assert.match(api, /^\^\d+\.\d+\.\d+$/, 'the camera-api peer is a caret range, like the docs tell authors');
      });

      it('ships a README, the LICENSE, and nothing a user would not want', () => {
        const files = packed.get(name)!.files.map((f) => f.path);
        assert.ok(files.includes('README.md'), 'README.md');
        assert.ok(files.includes('LICENSE'), `LICENSE (node scripts/package-metadata.mjs copies it in)`);
        assert.equal(readFileSync(join(ROOT, ws.dir, 'LICENSE'), 'utf8'), ROOT_LICENSE, `${ws.dir}/LICENSE differs from the root LICENSE`);
        const unwanted = files.flatMap((path) => FORBIDDEN.filter(([re]) => re.test(path)).map(([, why]) => `${path}: ${why}`));
        if (!exportsTesting(ws.pkg)) {
          unwanted.push(...files.filter((p) => TESTING.test(p)).map((p) => `${p}: test fakes that package.json does not export`));
        }
        assert.deepEqual(unwanted, []);
        assert.deepEqual(brokenMaps(ws, new Set(files)), []);
      });

      it('publint finds nothing to fix in the tarball', async () => {
        const tarball = readFileSync(join(tmp, packed.get(name)!.filename));
        const { messages, pkg } = await publint({ pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) as ArrayBuffer }, level: 'warning', strict: true });
        assert.deepEqual(messages.map((m) => `${m.type}: ${formatMessage(m, pkg, { color: false })}`), []);
      });

      it('the types resolve for ESM consumers (attw)', async () => {
        const { code, out } = await attw.get(name)!;
        assert.equal(code, 0, out);
      });
    });
  }
});
