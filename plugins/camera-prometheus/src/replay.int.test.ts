import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { captureEvents, countByType, manifest } from './testing/captures.js';
import { parseExposition, series, total } from './testing/exposition.js';
import { replayThroughKernel } from './testing/kernel.js';
import { promtool } from './testing/promtool.js';

const COUNTED = ['sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected'];

// Every shipped golden's capture and State limits (LRU eviction included), once each.
const runs = [...new Map(manifest().map((m) => [`${m.capture} max ${m.maxTasks}/${m.maxWorkers}`, m])).entries()];

describe('evcam-kernel replay --camera prometheus: counters equal the events of each type in the capture', () => {
  for (const [title, entry] of runs) {
    it(title, async () => {
      const events = captureEvents(entry.capture);
      const counts = countByType(events);
      const run = await replayThroughKernel(entry.capture, { maxTasks: entry.maxTasks, maxWorkers: entry.maxWorkers });
      try {
        const text = await run.scrape();
        const samples = parseExposition(text);
        for (const c of COUNTED) {
          assert.equal(total(samples, `celery_task_${c}_total`), counts.get(`task-${c}`) ?? 0, `celery_task_${c}_total`);
        }
        const withRuntime = events.filter((e) => e.type === 'task-succeeded' && typeof e.runtime === 'number').length;
        assert.equal(total(samples, 'celery_task_runtime_count'), withRuntime, 'celery_task_runtime_count');
        for (const s of series(samples, 'evcam_events_missing_total')) assert.equal(s.value, 0, `missing on ${s.labels.hostname}`);
        const check = await promtool(['check', 'metrics'], text);
        assert.equal(check.code, 0, check.output);
      } finally {
        await run.stop();
      }
    });
  }
});
