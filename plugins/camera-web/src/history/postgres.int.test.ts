import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { migrations, TASK_COLUMN_NAMES, TASK_COLUMNS, taskToRow } from '@evcam/history-schema';
import pg from 'pg';
import { checkStoreAgainstMemory, fixtureTasks } from './history-fixture.test-helper.js';
import { PostgresHistory } from './postgres.js';

const URL = process.env.EVCAM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

test('PostgreSQL history: filters, order and cursors as in memory; get, children, summaries', async () => {
  const schema = `evcam_web_${randomUUID().slice(0, 8)}`;
  const client = new pg.Client({ connectionString: URL });
  await client.connect();
  const store = new PostgresHistory(URL, schema);
  try {
    for (const m of migrations('postgres', schema)) for (const s of m.statements) await client.query(s);
    const tasks = fixtureTasks();
    const json = new Set(TASK_COLUMNS.filter((c) => c.kind === 'json').map((c) => c.name));
    for (const t of tasks) {
      const row = taskToRow(t, { seq: 1, takenAt: 1 }) as unknown as Record<string, unknown>;
      await client.query(`INSERT INTO "${schema}".tasks (${TASK_COLUMN_NAMES.map((c) => `"${c}"`).join(', ')}) VALUES (${TASK_COLUMN_NAMES.map((c, i) => `$${i + 1}${json.has(c) ? '::jsonb' : ''}`).join(', ')})`,
        TASK_COLUMN_NAMES.map((c) => row[c]));
    }
    await store.check();
    await checkStoreAgainstMemory(store, tasks);
  } finally {
    await store.close();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
});
