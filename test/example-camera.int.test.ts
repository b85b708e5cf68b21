import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import type { CameraClass } from '@evcam/camera-api';
import { runCameraConformance } from '@evcam/camera-testkit';
import { readJson, type Golden } from './helpers/golden.js';
import { runKernel } from './helpers/kernel-process.js';
import { fixture, ROOT } from './helpers/paths.js';

const EXAMPLE = join(ROOT, 'examples', 'console-camera');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The console camera's lines as a task table: `[seq] uuid STATE name worker`, the last line for a task wins. */
function tasksFrom(text: string): Record<string, string> {
  const tasks: Record<string, string> = {};
  for (const match of text.matchAll(/^\[\d+\] ([0-9a-f-]{36}) (\S+) /gm)) tasks[match[1]] = match[2];
  return tasks;
}

// The guide promises the example compiles as shown: build it before anything imports it.
const compiled = spawnSync(process.execPath, [TSC, '-p', EXAMPLE], { encoding: 'utf8' });

test('the example camera compiles and is at most 40 lines', () => {
  assert.equal(compiled.status, 0, compiled.stdout + compiled.stderr);
  const lines = readFileSync(join(EXAMPLE, 'index.ts'), 'utf8').trimEnd().split('\n').length;
  assert.ok(lines <= 40, `examples/console-camera/index.ts has ${lines} lines`);
  const guide = readFileSync(join(ROOT, 'docs', 'writing-a-camera.md'), 'utf8');
  assert.ok(guide.includes(readFileSync(join(EXAMPLE, 'index.ts'), 'utf8').trimEnd()), 'docs/writing-a-camera.md must show examples/console-camera/index.ts verbatim');
  assert.ok(readFileSync(join(ROOT, 'README.md'), 'utf8').includes(readFileSync(join(EXAMPLE, 'index.ts'), 'utf8').trimEnd()), 'README.md must show examples/console-camera/index.ts verbatim');
});

if (compiled.status === 0) {
  const { default: ConsoleCamera } = await import(pathToFileURL(join(EXAMPLE, 'dist', 'index.js')).href) as { default: CameraClass };
  runCameraConformance(ConsoleCamera, {
    options: { out: './console.log' },
    readBack: ({ dir }) => ({ tasks: tasksFrom(readFileSync(join(dir, 'console.log'), 'utf8')) }),
  });
}

test('the kernel loads the example by path and prints the final State Celery computes', async () => {
  const run = await runKernel(['replay', fixture('rabbitmq-5.2.6.jsonl'), '--camera', './examples/console-camera/index.ts'], { cwd: ROOT });
  assert.equal(run.code, 0, run.stderr);
  const golden = readJson<Golden>(fixture('rabbitmq-5.2.6.golden.json'));
  assert.match(run.stdout, new RegExp(`^\\[1\\] Total: ${golden.event_count} events, ${golden.task_count} tasks$`, 'm'));
  const printed = tasksFrom(run.stdout);
  assert.equal(Object.keys(printed).length, Object.keys(golden.tasks).length);
  for (const [uuid, task] of Object.entries(golden.tasks)) assert.equal(printed[uuid], task.state, `task ${uuid}`);
});

test('the example appends to a file given as a camera option, relative to the config', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'evcam-console-'));
  try {
    const config = join(dir, '.evcamrc.json');
    const camera = join(EXAMPLE, 'index.ts');
    writeFileSync(config, JSON.stringify({ camera, cameraOptions: { out: './dump.txt' } }));
    const run = await runKernel(['replay', fixture('custom-5.2.6.jsonl'), '--config', config], { cwd: ROOT });
    assert.equal(run.code, 0, run.stderr);
    assert.match(readFileSync(join(dir, 'dump.txt'), 'utf8'), /^\[1\] Total: \d+ events, \d+ tasks$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
