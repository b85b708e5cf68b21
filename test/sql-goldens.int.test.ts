// Every shipped golden replayed through `evcam-kernel replay --camera postgres|sqlite`: each
// task row read back (rowToTask) equals Celery's task field for field, each worker row too.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { goldenReplays } from '@evcam/camera-testkit';
import { readJson, type Golden } from './helpers/golden.js';
import { HISTORY_DBS } from './helpers/history-db.js';
import { runKernel } from './helpers/kernel-process.js';
import { FIXTURES } from './helpers/paths.js';

const replays = goldenReplays(FIXTURES);

for (const { name, open } of HISTORY_DBS) {
  describe(`replay → ${name}: rows equal the goldens`, () => {
    test('the manifest lists the shipped goldens', () => assert.ok(replays.length >= 20, `${replays.length} goldens`));
    for (const replay of replays) {
      test(replay.name, async () => {
        const db = open();
        try {
          const run = await runKernel(['replay', replay.capture, ...db.cameraArgs, ...replay.args, '-l', 'warn'], { env: replay.env });
          assert.equal(run.code, 0, run.stderr);
          const golden = readJson<Golden>(replay.golden);
          const tasks = await db.tasks();
          const workers = await db.workers();
          assert.ok(Object.keys(golden.tasks).length > 0, 'golden has tasks');
          assert.equal(Object.keys(tasks).length, Object.keys(golden.tasks).length, 'one row per task of the final State');
          for (const [uuid, expected] of Object.entries(golden.tasks)) assert.deepEqual(tasks[uuid], expected, `task ${uuid}`);
          assert.equal(Object.keys(workers).length, Object.keys(golden.workers).length);
          for (const [hostname, expected] of Object.entries(golden.workers)) assert.deepEqual(workers[hostname], expected, `worker ${hostname}`);
          const [shutter] = await db.rows('SELECT * FROM shutters ORDER BY seq DESC LIMIT 1');
          assert.equal(Number(shutter!.taken_at), golden.now);
          assert.equal(Number(shutter!.event_count), golden.event_count);
          assert.equal(Number(shutter!.task_count), golden.task_count);
        } finally {
          await db.drop();
        }
      });
    }
  });
}
