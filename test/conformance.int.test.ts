// Conformance: replaying each captured stream through `evcam-kernel replay` gives
// the State Celery's own receiver + State computed from it, field for field.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { diffAgainstGolden, formatDiffs, readJson, type Golden } from './helpers/golden.js';
import { runKernel } from './helpers/kernel-process.js';
import { FIXTURES, fixture } from './helpers/paths.js';

interface ManifestEntry { capture: string; golden: string; maxTasks?: number; maxWorkers?: number; tz?: string; notes?: string }

/** Every golden in test/fixtures, from the manifest (with the limits and TZ its replay needs). */
function goldens(): ManifestEntry[] {
  const manifestPath = fixture('manifest.json');
  const listed = existsSync(manifestPath) ? readJson<ManifestEntry[]>(manifestPath) : [];
  const known = new Set(listed.map((e) => e.golden));
  // A golden the manifest forgot is still checked, with Celery's defaults, so none is silently skipped.
  const files = readdirSync(FIXTURES);
  const captures = files.filter((f) => f.endsWith('.jsonl')).map((f) => f.slice(0, -'.jsonl'.length));
  for (const file of files.filter((f) => f.endsWith('.golden.json') && !known.has(f))) {
    const base = captures.filter((c) => file.startsWith(`${c}.`)).sort((a, b) => b.length - a.length)[0];
    listed.push({ capture: `${base ?? file}.jsonl`, golden: file });
  }
  return listed;
}

// Two replays at a time: each is one short kernel process, mostly start-up.
describe('replay matches the State Celery computed (goldens in test/fixtures)', { concurrency: 2 }, () => {
  for (const entry of goldens()) {
    const limits = entry.maxTasks !== undefined || entry.maxWorkers !== undefined
      ? ` --max-tasks-in-memory ${entry.maxTasks ?? 10000} --max-workers-in-memory ${entry.maxWorkers ?? 5000}` : '';
    test(`${entry.golden} ← replay ${entry.capture}${limits}${entry.tz ? ` (TZ=${entry.tz})` : ''}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'evcam-conformance-'));
      const args = ['replay', fixture(entry.capture), '--camera', 'file', '--camera-option', `dir=${dir}`, '-l', 'warn'];
      if (entry.maxTasks !== undefined) args.push('--max-tasks-in-memory', String(entry.maxTasks));
      if (entry.maxWorkers !== undefined) args.push('--max-workers-in-memory', String(entry.maxWorkers));
      const run = await runKernel(args, { env: { TZ: entry.tz ?? 'UTC' } });
      assert.equal(run.code, 0, run.stderr);
      const ours = readJson<Golden>(join(dir, 'latest.json'));
      const golden = readJson<Golden>(fixture(entry.golden));
      assert.ok(Object.keys(golden.tasks).length + Object.keys(golden.workers).length > 0, 'golden is not empty');
      const diffs = diffAgainstGolden(ours, golden);
      assert.equal(diffs.length, 0, formatDiffs(diffs));
      assert.equal((ours as unknown as { taken_at: number }).taken_at, golden.now, 'taken_at is the last receive time');
    });
  }
});
