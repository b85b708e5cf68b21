// Every shipped golden replayed through `evcam-kernel replay` into both SQL cameras at once
// (postgres and sqlite in one config): each task row read back (rowToTask) equals Celery's task
// field for field, each worker row too, in each database. (`--camera postgres|sqlite` on the
// command line is covered by sql-history.int.test.ts.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { goldenReplays } from '@evcam/camera-testkit';
import { readJson, type Golden } from './helpers/golden.js';
import { HISTORY_DBS } from './helpers/history-db.js';
import { runKernel } from './helpers/kernel-process.js';
import { FIXTURES } from './helpers/paths.js';

const replays = goldenReplays(FIXTURES);

// Two replays at a time: each is one short kernel process, mostly start-up and database waits.
describe(`replay → ${HISTORY_DBS.map((d) => d.name).join(' and ')}: rows equal the goldens`, { concurrency: 2 }, () => {
  test('the manifest lists the shipped goldens', () => assert.ok(replays.length >= 20, `${replays.length} goldens`));
  for (const replay of replays) {
    test(replay.name, async (t) => {
      const dbs = HISTORY_DBS.map(({ name, open }) => ({ name, db: open() }));
      const dir = mkdtempSync(join(tmpdir(), 'evcam-sql-goldens-'));
      try {
        const config = join(dir, 'evcam.config.json');
        writeFileSync(config, JSON.stringify({ cameras: dbs.map(({ db }) => db.cameraEntry) }));
        const run = await runKernel(['replay', replay.capture, '--config', config, ...replay.args, '-l', 'warn'], { env: replay.env });
        assert.equal(run.code, 0, run.stderr);
        const summary = JSON.parse(run.stdout.trim().split('\n').pop()!) as { cameras: { name: string; status: string; stored: number; failures: number }[] };
        assert.deepEqual(summary.cameras.map((c) => [c.name, c.status, c.stored, c.failures]), dbs.map(({ name }) => [name, 'closed', 1, 0]));
        const golden = readJson<Golden>(replay.golden);
        assert.ok(Object.keys(golden.tasks).length > 0, 'golden has tasks');
        for (const { name, db } of dbs) {
          await t.test(name, async () => {
            const tasks = await db.tasks();
            const workers = await db.workers();
            assert.equal(Object.keys(tasks).length, Object.keys(golden.tasks).length, 'one row per task of the final State');
            for (const [uuid, expected] of Object.entries(golden.tasks)) assert.deepEqual(tasks[uuid], expected, `task ${uuid}`);
            assert.equal(Object.keys(workers).length, Object.keys(golden.workers).length);
            for (const [hostname, expected] of Object.entries(golden.workers)) assert.deepEqual(workers[hostname], expected, `worker ${hostname}`);
            const [shutter] = await db.rows('SELECT * FROM shutters ORDER BY seq DESC LIMIT 1');
            assert.equal(Number(shutter!.taken_at), golden.now);
            assert.equal(Number(shutter!.event_count), golden.event_count);
            assert.equal(Number(shutter!.task_count), golden.task_count);
          });
        }
      } finally {
        await Promise.all(dbs.map(({ db }) => db.drop()));
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
