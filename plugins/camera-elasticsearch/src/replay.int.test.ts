import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Snapshot } from '@evcam/camera-api';
import { EsDouble } from './testing/es-double.js';
import { REPO_ROOT } from './testing/fakes.js';

const CLI = resolve(REPO_ROOT, 'packages/kernel/dist/cli.js');
const BIN = resolve(REPO_ROOT, 'packages/kernel/bin/evcam-kernel.js');
const CAPTURE = resolve(REPO_ROOT, 'test/fixtures/rabbitmq-5.2.6.jsonl');
const GOLDEN = resolve(REPO_ROOT, 'test/fixtures/rabbitmq-5.2.6.golden.json');
const skip = (!existsSync(CLI) && 'kernel not built') || (!existsSync(CAPTURE) && 'fixture not in the repo');

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('close', (code) => done({ code, output }));
  });
}

describe('evcam-kernel replay --camera elasticsearch', { skip }, () => {
  const es = new EsDouble();
  before(() => es.start());
  after(() => es.stop());

  it('stores, for every task of the final State, a document equal to the snapshot task (plus derived fields)', async () => {
    const { code, output } = await run(['replay', CAPTURE, '--camera', 'elasticsearch', '--camera-option', `node=${es.url}`]);
    assert.equal(code, 0, output);
    const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Pick<Snapshot, 'tasks' | 'workers'>;
    const tasks = es.docs.get('evcam-tasks');
    assert.equal(tasks?.size, Object.keys(golden.tasks).length);
    for (const [uuid, expected] of Object.entries(golden.tasks)) {
      const stored: Record<string, unknown> = tasks!.get(uuid) ?? {};
      const { '@timestamp': at, snapshot_seq: seq, snapshot_taken_at: takenAt, ...doc } = stored;
      assert.deepEqual(doc, expected, uuid);
      assert.equal(typeof at, 'string');
      assert.equal(typeof seq, 'number');
      assert.equal(typeof takenAt, 'number');
    }
    for (const [hostname, expected] of Object.entries(golden.workers)) {
      const { '@timestamp': _at, last_heartbeat: _last, snapshot_seq: _seq, ...doc } = es.doc('evcam-workers', hostname) ?? {};
      assert.deepEqual(doc, expected, hostname);
    }
    assert.ok(es.templates.has('evcam-tasks'));
    assert.deepEqual(es.violations, []);
    assert.doesNotMatch(output, /"level":50/, 'no error logged');
  });
});
