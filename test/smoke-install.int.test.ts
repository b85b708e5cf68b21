import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { readJson, type Golden } from './helpers/golden.js';
import { fixture, ROOT } from './helpers/paths.js';
import { packWorkspaces } from './helpers/workspaces.js';

// What a new user does: pack every workspace package, install the tarballs into an empty
// directory (no workspace, no links into this repository), and use them from there.

const CAPTURE = fixture('rabbitmq-5.2.6.jsonl');
const GOLDEN = readJson<Golden>(fixture('rabbitmq-5.2.6.golden.json'));

/** The environment of a shell outside this repository: none of `npm test`'s npm_* settings, no test-runner context. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'NODE_TEST_CONTEXT' && key !== 'INIT_CWD') env[key] = value;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

interface Ran { code: number | null; stdout: string; stderr: string; out: string }

function sh(cwd: string, cmd: string, args: string[], timeoutMs = 120_000): Ran {
  const run = spawnSync(cmd, args, { cwd, env: userEnv(), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  const ran = { code: run.status, stdout: run.stdout ?? '', stderr: run.stderr ?? '', out: '' };
  ran.out = `$ ${cmd} ${args.join(' ')} (in ${cwd}) → ${run.status}${run.error ? ` ${run.error.message}` : ''}\n${ran.stdout}\n${ran.stderr}`;
  return ran;
}

/**
 * `npm install` that takes third-party packages from npm's cache when it has them. Install
 * scripts are skipped: ours have none, and a third-party native build (better-sqlite3 for the
 * SQLite camera, which this test only imports) would cost minutes on a 2-core machine.
 */
const npmInstall = (cwd: string, ...specs: string[]): Ran =>
  sh(cwd, 'npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', ...specs]);
const kernel = (cwd: string, ...args: string[]): Ran => sh(cwd, 'npx', ['--no', '--', 'evcam-kernel', ...args]);

/** The replay's closing JSON line. */
function summary(run: Ran): { cameras: { name: string; status: string; lastStoredSeq: number | null; failures: number }[] } {
  return JSON.parse(run.stdout.trim().split('\n').pop()!);
}

/** JSON Lines of task documents as a table: the last line for a task wins. */
function taskStates(file: string): Map<string, string> {
  const tasks = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const task = JSON.parse(line) as { uuid: string; state: string };
    tasks.set(task.uuid, task.state);
  }
  return tasks;
}

function assertHoldsGolden(states: Map<string, string>, what: string): void {
  assert.equal(states.size, Object.keys(GOLDEN.tasks).length, `${what}: task count`);
  for (const [uuid, task] of Object.entries(GOLDEN.tasks)) assert.equal(states.get(uuid), task.state, `${what}: task ${uuid}`);
}

/**
 * A third-party camera as its author would publish it: plain ESM, the camera API as a peer.
 * It appends every changed task to the `file` option.
 */
function thirdPartyCamera(dir: string, pkgName: string, cameraName: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({
    name: pkgName, version: '1.0.0', type: 'module', exports: './index.js', license: 'MIT',
    peerDependencies: { '@evcam/camera-api': '^0.1.0' },
  }));
  writeFileSync(join(dir, 'index.js'), `
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Polaroid } from '@evcam/camera-api';

export default class SmokeCamera extends Polaroid {
  static cameraName = ${JSON.stringify(cameraName)};
  onShutter(snapshot) {
    const lines = snapshot.changed.tasks.map((uuid) => JSON.stringify(snapshot.tasks[uuid]) + '\\n').join('');
    if (lines) appendFileSync(resolve(this.configDir, this.options.file), lines);
  }
}
`);
}

/** Symbolic links under `dir` that lead into this repository. */
function linksIntoRepo(dir: string): string[] {
  const repo = realpathSync(ROOT);
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isSymbolicLink())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((link) => { try { return realpathSync(link).startsWith(repo); } catch { return false; } });
}

describe('installed from the packed tarballs, outside this repository', { timeout: 300_000 }, () => {
  let tmp: string;
  let tarballs: string;
  let app: string;
  let packages: string[];

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'evcam-smoke-'));
    tarballs = join(tmp, 'tarballs');
    app = join(tmp, 'app');
    mkdirSync(tarballs);
    mkdirSync(app);
    const packed = packWorkspaces(tarballs);
    packages = packed.map((p) => p.name);
    const ours = packed.map((p) => join(tarballs, p.filename));
    // Two third-party cameras, packed as they would be published.
    for (const [pkg, name] of [['evcam-camera-smoke', 'smoke'], ['@acme/evcam-camera-scoped', 'scoped']]) {
      const dir = join(tmp, 'src', pkg);
      thirdPartyCamera(dir, pkg, name);
      const packed = sh(dir, 'npm', ['pack', '--pack-destination', tarballs, '--json', '--loglevel=error']);
      assert.equal(packed.code, 0, packed.out);
      ours.push(join(tarballs, (JSON.parse(packed.stdout) as { filename: string }[])[0].filename));
    }
    writeFileSync(join(app, 'package.json'), '{ "name": "smoke-app", "private": true }\n');
    const installed = npmInstall(app, ...ours);
    assert.equal(installed.code, 0, installed.out);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('is a plain install: copies, no links into the repository', () => {
    assert.ok(existsSync(join(app, 'node_modules', 'evcam-kernel', 'dist', 'cli.js')));
    assert.deepEqual(linksIntoRepo(join(app, 'node_modules')), []);
  });

  it('every packed package loads from the install: nothing it imports is missing from its dependencies', () => {
    // In the monorepo every package sees the root node_modules; here only what it declares.
    const script = `for (const name of ${JSON.stringify(packages)}) await import(name).catch((err) => { console.error(name, err.message); process.exitCode = 1; });`;
    const run = sh(app, process.execPath, ['--input-type=module', '-e', script]);
    assert.equal(run.code, 0, run.out);
  });

  let help: Ran;
  it('`npx evcam-kernel --help` lists the commands', () => {
    help = kernel(app, '--help');
    assert.equal(help.code, 0, help.out);
    assert.match(help.stdout, /Usage: evcam-kernel/);
    for (const command of ['run', 'replay', 'dump', 'new-camera']) assert.match(help.stdout, new RegExp(`\\b${command}\\b`), help.out);
  });

  it('`npx evcam-kernel --help` shows the default command\'s flags, like `celery events --help`', () => {
    for (const flag of ['--camera', '--camera-option', '--frequency', '--broker']) assert.match(help.stdout, new RegExp(flag), help.out);
  });

  it('replays a capture through the file camera, storing the State Celery computed', () => {
    const run = kernel(app, 'replay', CAPTURE, '--camera', 'file', '--camera-option', 'dir=./snapshots');
    assert.equal(run.code, 0, run.out);
    assert.equal(summary(run).cameras[0].status, 'closed', run.out);
    const latest = readJson<Golden>(join(app, 'snapshots', 'latest.json'));
    assertHoldsGolden(new Map(Object.entries(latest.tasks).map(([uuid, t]) => [uuid, t.state as string])), 'latest.json');
  });

  it('finds a third-party camera installed as evcam-camera-NAME by --camera NAME', () => {
    const run = kernel(app, 'replay', CAPTURE, '--camera', 'smoke', '--camera-option', 'file=./smoke.jsonl');
    assert.equal(run.code, 0, run.out);
    assert.deepEqual(summary(run).cameras.map((c) => [c.status, c.failures]), [['closed', 0]], run.out);
    assertHoldsGolden(taskStates(join(app, 'smoke.jsonl')), 'evcam-camera-smoke');
  });

  it('finds a third-party camera installed as @scope/evcam-camera-NAME by --camera NAME', () => {
    const run = kernel(app, 'replay', CAPTURE, '--camera', 'scoped', '--camera-option', 'file=./scoped.jsonl');
    assert.equal(run.code, 0, run.out);
    assertHoldsGolden(taskStates(join(app, 'scoped.jsonl')), '@acme/evcam-camera-scoped');
  });

  it('new-camera NAME → npm install → npm test, without the registry for evcam packages → loaded by the kernel', async () => {
    const created = kernel(app, 'new-camera', 'made-here');
    assert.equal(created.code, 0, created.out);
    assert.match(created.stdout, /runs from local tarballs, not from the registry/, created.out);
    const dir = join(app, 'evcam-camera-made-here');
    const pkg = readJson<{ devDependencies: Record<string, string>; peerDependencies: Record<string, string> }>(join(dir, 'package.json'));
    // The three it uses, and every evcam package those need (e.g. @evcam/retry): none published.
    const evcam = Object.keys(pkg.devDependencies).filter((name) => name.startsWith('@evcam/') || name === 'evcam-kernel');
    for (const name of new Set(['@evcam/camera-api', '@evcam/camera-testkit', 'evcam-kernel', ...evcam])) {
      assert.match(pkg.devDependencies[name] ?? '', new RegExp(`^file:${tarballs}/.*\\.tgz$`), `${name}: ${pkg.devDependencies[name]}`);
    }
    assert.equal(pkg.peerDependencies['@evcam/camera-api'], '^0.1.0');

    const installed = npmInstall(dir);
    assert.equal(installed.code, 0, installed.out);
    const tested = sh(dir, 'npm', ['test']);
    assert.equal(tested.code, 0, tested.out);
    assert.match(tested.stdout, /# fail 0/, tested.out);

    // Published the way an author would: its tarball installed into the app, found by its short name.
    const packed = sh(dir, 'npm', ['pack', '--pack-destination', tarballs, '--json', '--loglevel=error']);
    assert.equal(packed.code, 0, packed.out);
    const tarball = join(tarballs, (JSON.parse(packed.stdout) as { filename: string }[])[0].filename);
    // What new-camera writes is publishable as generated (its source maps resolve: src ships).
    const bytes = readFileSync(tarball);
    const lint = await publint({ pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer }, level: 'warning' });
    assert.deepEqual(lint.messages.map((m) => formatMessage(m, lint.pkg, { color: false })), []);
    const files = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    assert.ok(files.includes('src/index.ts') && !files.some((f) => f.includes('.test.')), files.join(' '));
    const added = npmInstall(app, tarball);
    assert.equal(added.code, 0, added.out);
    const run = kernel(app, 'replay', CAPTURE, '--camera', 'made-here', '--camera-option', 'file=./made-here.jsonl');
    assert.equal(run.code, 0, run.out);
    assertHoldsGolden(taskStates(join(app, 'made-here.jsonl')), 'evcam-camera-made-here');
  });
});
