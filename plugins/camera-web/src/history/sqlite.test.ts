import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { migrations, SCHEMA_VERSION, TASK_COLUMN_NAMES, taskToRow } from '@evcam/history-schema';
import Database from 'better-sqlite3';
import { checkStoreAgainstMemory, fixtureTasks } from './history-fixture.test-helper.js';
import { SqliteHistory } from './sqlite.js';

for (const [version, probeRows] of [[SCHEMA_VERSION, undefined], [SCHEMA_VERSION, 40], [2, undefined]] as const) {
  test(`SQLite history at schema version ${version}${probeRows ? `, text-search probe of ${probeRows} rows` : ''}: filters, text search, order and cursors as in memory; get, children, summaries`, async () => {
    await checkFile(version, probeRows);
  });
}

/** Version 2 has no FTS table: the store searches with LIKE alone; version 3 narrows with the trigram index. */
async function checkFile(version: number, probeRows?: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'evcam-web-sqlite-'));
  const file = join(dir, 'h.db');
  const tasks = fixtureTasks();
  const db = new Database(file);
  for (const m of migrations('sqlite').filter((m) => m.version <= version)) for (const s of m.statements) db.exec(s);
  const insert = db.prepare(`INSERT INTO tasks (${TASK_COLUMN_NAMES.map((c) => `"${c}"`).join(', ')}) VALUES (${TASK_COLUMN_NAMES.map(() => '?').join(', ')})`);
  for (const t of tasks) {
    const row = taskToRow(t, { seq: 1, takenAt: 1 }) as unknown as Record<string, unknown>;
    insert.run(...TASK_COLUMN_NAMES.map((c) => row[c] as never));
  }
  db.close();
  const store = new SqliteHistory(file, probeRows);
  try {
    await checkStoreAgainstMemory(store, tasks);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
