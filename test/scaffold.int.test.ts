import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readJson, type Golden } from './helpers/golden.js';
import { runKernel } from './helpers/kernel-process.js';
import { fixture, ROOT } from './helpers/paths.js';

const NAME = 'lake-house';
const PKG = `evcam-camera-${NAME}`;

/** What `npm install` would give the generated package, linked from the workspace (offline, instant). */
const WORKSPACE_LINKS: Record<string, string> = {
  '@evcam/camera-api': join(ROOT, 'packages', 'camera-api'),
  '@evcam/camera-testkit': join(ROOT, 'packages', 'camera-testkit'),
  'evcam-kernel': join(ROOT, 'packages', 'kernel'),
  zod: join(ROOT, 'node_modules', 'zod'),
  typescript: join(ROOT, 'node_modules', 'typescript'),
  '@types/node': join(ROOT, 'node_modules', '@types', 'node'),
};

function link(target: string, at: string): void {
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(target, at, 'dir');
}

/** The generated file as Celery's task table: the last line for a task wins. */
function foldJsonLines(file: string): Map<string, { state: string; seq: number }> {
  const tasks = new Map<string, { state: string; seq: number }>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const task = JSON.parse(line) as { uuid: string; state: string; seq: number };
    tasks.set(task.uuid, task);
  }
  return tasks;
}

describe('evcam-kernel new-camera', () => {
  let tmp: string;
  let pkgDir: string;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'evcam-scaffold-'));
    pkgDir = join(tmp, PKG);
    const run = await runKernel(['new-camera', NAME, '--dir', pkgDir]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`Created ${PKG} in .*\\n.*cd .*\\n.*npm install\\n.*npm test`));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('writes a package named for the loader, peer-depending on the camera API', () => {
    const pkg = readJson<Record<string, any>>(join(pkgDir, 'package.json'));
    assert.equal(pkg.name, PKG);
    assert.deepEqual(pkg.peerDependencies, { '@evcam/camera-api': '^0.1.0' });
    assert.deepEqual(pkg.keywords, ['evcam', 'evcam-camera', 'celery']);
    assert.equal(pkg.type, 'module');
    assert.equal(pkg.exports['.'].default, './dist/index.js');
    assert.ok(pkg.devDependencies['@evcam/camera-testkit']);
    assert.equal(pkg.dependencies.inversify, undefined);
    for (const file of ['src/index.ts', `src/${NAME}.test.ts`, 'tsconfig.json', 'README.md', '.gitignore']) {
      assert.ok(existsSync(join(pkgDir, file)), `${file} was not generated`);
    }
    const camera = readFileSync(join(pkgDir, 'src', 'index.ts'), 'utf8');
    assert.match(camera, /export class LakeHouseCamera extends Polaroid<LakeHouseCameraOptions>/);
    assert.match(camera, /static override readonly cameraName = 'lake-house'/);
    assert.match(camera, /static override readonly optionsSchema = optionsSchema/);
    assert.match(readFileSync(join(pkgDir, 'src', `${NAME}.test.ts`), 'utf8'), /runCameraConformance\(LakeHouseCamera/);
    assert.doesNotMatch(readFileSync(join(pkgDir, 'README.md'), 'utf8'), /__[A-Z]+__/);
  });

  it('refuses a directory that is not empty, and a name that is not a package name', async () => {
    const again = await runKernel(['new-camera', NAME, '--dir', pkgDir]);
    assert.equal(again.code, 64);
    assert.match(again.stderr, /EVCAM_ERR_USAGE: new-camera: .* already exists and is not empty/);
    const bad = await runKernel(['new-camera', 'Kafka!', '--dir', join(tmp, 'bad')]);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /EVCAM_ERR_USAGE: new-camera: "Kafka!" is not a usable camera name/);
    assert.equal(existsSync(join(tmp, 'bad')), false);
  });

  it('passes its own test as generated: `npm test` compiles it and runs the conformance kit', () => {
    for (const [name, target] of Object.entries(WORKSPACE_LINKS)) link(target, join(pkgDir, 'node_modules', name));
    link('../typescript/bin/tsc', join(pkgDir, 'node_modules', '.bin', 'tsc'));
    // NODE_TEST_CONTEXT would turn the package's own `node --test` into a child of this run.
    const env = { ...process.env, NODE_TEST_CONTEXT: undefined, npm_config_update_notifier: 'false' };
    const run = spawnSync('npm', ['test'], { cwd: pkgDir, env, encoding: 'utf8', timeout: 180_000 });
    const out = run.stdout + run.stderr;
    assert.equal(run.status, 0, out);
    assert.match(out, /ok 1 - camera conformance: lake-house/);
    assert.match(out, /# pass 8\n# fail 0/);
    assert.ok(existsSync(join(pkgDir, 'dist', 'index.js')));
  });

  it('is loaded by package name through `evcam-kernel replay` and stores the final State Celery computes', async () => {
    const app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true }\n');
    link(pkgDir, join(app, 'node_modules', PKG));
    const run = await runKernel(['replay', fixture('rabbitmq-5.2.6.jsonl'), '--camera', PKG, '--camera-option', 'file=./out/tasks.jsonl'], { cwd: app });
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!) as { cameras: { name: string; source: string; status: string; lastStoredSeq: number | null; failures: number }[] };
    // Named by its static cameraName; the name it was configured by stays visible as `source`.
    assert.deepEqual(summary.cameras.map((c) => [c.name, c.source, c.status, c.lastStoredSeq, c.failures]), [[NAME, PKG, 'closed', 1, 0]]);

    const golden = readJson<Golden>(fixture('rabbitmq-5.2.6.golden.json'));
    const stored = foldJsonLines(join(app, 'out', 'tasks.jsonl'));
    assert.equal(stored.size, Object.keys(golden.tasks).length);
    for (const [uuid, task] of Object.entries(golden.tasks)) {
      assert.equal(stored.get(uuid)?.state, (task as { state: string }).state, `task ${uuid}`);
    }

    // The short name finds it too (@evcam/camera-<name>, then evcam-camera-<name>).
    const short = await runKernel(['replay', fixture('rabbitmq-5.2.6.jsonl'), '--camera', NAME, '--camera-option', 'file=./short.jsonl'], { cwd: app });
    assert.equal(short.code, 0, short.stderr);
    assert.equal(foldJsonLines(join(app, 'short.jsonl')).size, stored.size);
  });
});
