// The CLI as users meet it: help, version, flags, and coded errors with exit codes.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runKernel } from './helpers/kernel-process.js';
import { fixture, ROOT } from './helpers/paths.js';
import { MISBEHAVING_CAMERA } from './helpers/reliability.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'evcam-cli-'));

describe('evcam-kernel CLI', () => {
  test('--help lists the flags of celery events --camera', async () => {
    const { code, stdout } = await runKernel(['run', '--help']);
    assert.equal(code, 0);
    for (const flag of ['--camera', '--frequency', '--maxrate', '--broker', '--loglevel', '--logfile', '--pidfile', '--config',
      '--camera-option', '--max-tasks-in-memory', '--max-workers-in-memory', '--clear-after', '--queue', '--limit']) {
      assert.ok(stdout.includes(flag), `help mentions ${flag}`);
    }
  });

  test('--version prints the kernel version', async () => {
    const { code, stdout } = await runKernel(['--version']);
    assert.equal(code, 0);
    const { version } = JSON.parse(readFileSync(join(ROOT, 'packages/kernel/package.json'), 'utf8')) as { version: string };
    assert.equal(stdout.trim(), version);
  });

  test('an unknown camera: coded error, what to install, exit 78', async () => {
    const { code, stderr } = await runKernel(['replay', fixture('rabbitmq-5.2.6.jsonl'), '--camera', 'kafka']);
    assert.equal(code, 78);
    assert.match(stderr, /EVCAM_ERR_CAMERA_NOT_INSTALLED: camera "kafka" is not installed .*npm install @evcam\/camera-kafka/);
  });

  test('invalid camera options name the option; a bad flag value is a usage error', async () => {
    const bad = await runKernel(['replay', fixture('rabbitmq-5.2.6.jsonl'), '--camera-option', 'keep=-3']);
    assert.equal(bad.code, 78);
    assert.match(bad.stderr, /EVCAM_ERR_CAMERA_OPTIONS: camera "file" options are invalid: keep:/);
    const usage = await runKernel(['run', '-F', 'often']);
    assert.equal(usage.code, 64);
    assert.match(usage.stderr, /--frequency must be a number/);
  });

  test('a bad config file names the file and key; the broker URL password never reaches the output', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'evcam.config.mjs'), 'export default { broker: "amqp://guest:hunter2@127.0.0.1:5672//", freq: -1 };');
    const { code, stderr, stdout } = await runKernel(['run'], { cwd: dir });
    assert.equal(code, 78);
    assert.match(stderr, /EVCAM_ERR_CONFIG_INVALID: .*evcam\.config\.mjs: freq:/);
    assert.ok(!(stderr + stdout).includes('hunter2'));
  });

  test('replay: bad lines are reported with their line number and counted; good ones folded', async () => {
    const dir = tmp();
    const lines = readFileSync(fixture('rabbitmq-5.2.6.jsonl'), 'utf8').split('\n').filter(Boolean);
    const mixed = [lines[0], 'not json', '{"what": "unknown shape"}', ...lines.slice(1)].join('\n');
    const file = join(dir, 'mixed.jsonl');
    writeFileSync(file, mixed);
    const { code, stdout, stderr } = await runKernel(['replay', file, '--camera-option', `dir=${dir}`, '-l', 'warn']);
    assert.equal(code, 0, stderr);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { badLines: number; folded: number; event_count: number };
    assert.equal(summary.badLines, 2);
    assert.equal(summary.event_count, 1020);
    assert.match(stderr, /"line":2,.*not JSON/);
    assert.match(stderr, /"line":3,.*unknown shape/);
  });

  test('replay of a file that does not exist is a coded error', async () => {
    const { code, stderr } = await runKernel(['replay', '/nonexistent/capture.jsonl', '--camera-option', `dir=${tmp()}`]);
    assert.notEqual(code, 0);
    assert.match(stderr, /EVCAM_ERR_REPLAY_FILE/);
  });

  test('--help of the bare command lists the subcommands and the default command\'s flags, as celery events --help does', async () => {
    const { code, stdout } = await runKernel(['--help']);
    assert.equal(code, 0);
    for (const command of ['run', 'replay', 'dump', 'new-camera']) assert.match(stdout, new RegExp(`^  ${command}\\b`, 'm'));
    for (const flag of ['--camera', '--frequency', '--maxrate', '--broker', '--loglevel', '--camera-option', '--max-tasks-in-memory',
      '--clear-after', '--queue', '--limit', '--http-port', '--checkpoint']) {
      assert.ok(stdout.includes(flag), `bare --help mentions ${flag}:\n${stdout}`);
    }
  });

  test('--camera-option: a string option given digits receives the text ("2024"), a number option the number', async () => {
    const cwd = tmp();
    const { code, stderr } = await runKernel(['replay', fixture('rabbitmq-5.2.6.jsonl'), '--camera', 'file',
      '--camera-option', 'dir=2024', '--camera-option', 'keep=3', '-l', 'warn'], { cwd });
    assert.equal(code, 0, stderr);
    assert.ok(existsSync(join(cwd, '2024', 'latest.json')), 'snapshots went to the directory named "2024"');
  });

  test('replay whose camera backend is down says it will not retry, and exits 69', async () => {
    const { code, stderr } = await runKernel(['replay', fixture('rabbitmq-5.2.6.jsonl'), '--camera', MISBEHAVING_CAMERA,
      '--camera-option', 'mode=backend-down']);
    assert.equal(code, 69, stderr);
    assert.match(stderr, /EVCAM_ERR_CAMERA_START: .*refused the connection; not retrying here: start the backend, then run this again/);
    assert.doesNotMatch(stderr, /retryInSecs|carry on, retrying/);
  });
});
