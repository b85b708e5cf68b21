import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT, tempDir } from './testing/fakes.js';
import { getObject, startFauxqsS3 } from './testing/servers.js';

const run = promisify(execFile);
const CLI_BUILD = resolve(REPO_ROOT, 'packages/kernel/dist/cli.js');
const CLI = resolve(REPO_ROOT, 'packages/kernel/bin/evcam-kernel.js');
const CAPTURE = resolve(REPO_ROOT, 'test/fixtures/rabbitmq-5.2.6.jsonl');
const skip = (!existsSync(CLI_BUILD) && 'kernel not built') || (!existsSync(CAPTURE) && 'capture fixture missing');

const kernel = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, [CLI, ...args], { cwd: tempDir(), env: { ...process.env, ...env }, timeout: 60_000 });

test('evcam-kernel replay --camera s3 leaves a latest.json equal to the file camera\'s', { skip }, async () => {
  const s3 = await startFauxqsS3();
  try {
    await s3.createBucket('evcam-replay');
    await kernel(['replay', CAPTURE, '--camera', 's3',
      '--camera-option', 'bucket=evcam-replay', '--camera-option', `endpoint=${s3.endpoint}`,
      '--camera-option', 'forcePathStyle=true', '--camera-option', `spoolDir=${tempDir()}`], {
      // Credentials through the SDK default chain, as on a real host.
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey, AWS_REGION: 'us-east-1',
    });
    const dir = tempDir();
    await kernel(['replay', CAPTURE, '--camera', 'file', '--camera-option', `dir=${dir}`]);

    const fromS3 = JSON.parse((await getObject(s3.client, 'evcam-replay', 'evcam/latest.json')).body.toString());
    const fromFile = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8'));
    for (const field of ['tasks', 'workers', 'event_count', 'task_count'] as const) {
      assert.deepEqual(fromS3[field], fromFile[field], field);
    }
    assert.equal(Object.keys(fromS3.tasks).length, 222, 'the whole capture was folded');
  } finally {
    await s3.stop();
  }
});
