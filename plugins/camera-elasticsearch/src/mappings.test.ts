import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { buildTemplates, SNAPSHOT_PROPERTIES, TASK_PROPERTIES, WORKER_PROPERTIES } from './mappings.js';
import { snapshotOf, task, worker } from './testing/fakes.js';
import { REPO_ROOT } from './testing/fakes.js';

const README = readFileSync(resolve(REPO_ROOT, 'plugins/camera-elasticsearch/README.md'), 'utf8');

describe('mappings', () => {
  it('map every field of the snapshot task and worker (nothing silently unindexed)', () => {
    const s = snapshotOf([task('a')], [worker('w')]);
    for (const field of Object.keys(s.tasks.a)) assert.ok(field in TASK_PROPERTIES, `task field ${field} is not mapped`);
    for (const field of Object.keys(s.workers.w)) assert.ok(field in WORKER_PROPERTIES, `worker field ${field} is not mapped`);
  });

  it('the README documents every mapped field', () => {
    for (const field of [...Object.keys(TASK_PROPERTIES), ...Object.keys(WORKER_PROPERTIES), ...Object.keys(SNAPSHOT_PROPERTIES)]) {
      assert.ok(README.includes(`\`${field}\``), `README does not mention \`${field}\``);
    }
  });

  it('templates are versioned, prefixed and non-dynamic', () => {
    const templates = buildTemplates('celery', 'p1');
    assert.deepEqual(templates.map((t) => t.name), ['celery-tasks', 'celery-workers', 'celery-snapshots']);
    for (const t of templates) {
      assert.equal(t.template.mappings.dynamic, false);
      assert.equal(t.template.settings['index.lifecycle.name'], 'p1');
      assert.equal(t._meta.managed_by, 'evcam');
    }
  });
});
