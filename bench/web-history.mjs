// `node bench/web-history.mjs`: the web camera's history search over 1M tasks in a SQLite file laid
// out as the SQLite camera writes it (its migrations): the Tasks page's queries timed at the store.
// Knobs (env): EVCAM_BENCH_WEB_HISTORY_ROWS (1000000).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrations, TASK_COLUMN_NAMES, taskToRow } from '@evcam/history-schema';
import { sampleTask } from '@evcam/camera-testkit';
import { SqliteHistory } from '../plugins/camera-web/dist/history/sqlite.js';
import { parseTaskQuery } from '../plugins/camera-web/dist/task-query.js';

const ROWS = Number(process.env.EVCAM_BENCH_WEB_HISTORY_ROWS ?? 1_000_000);
const STATES = ['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'FAILURE', 'RETRY'];
const NOW = 1_795_514_300;
const dir = mkdtempSync(join(os.tmpdir(), 'evcam-web-history-'));
const file = join(dir, 'h.db');
try {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  for (const m of migrations('sqlite')) for (const s of m.statements) db.exec(s);
  const insert = db.prepare(`INSERT INTO tasks (${TASK_COLUMN_NAMES.map((c) => `"${c}"`).join(', ')}) VALUES (${TASK_COLUMN_NAMES.map(() => '?').join(', ')})`);
  const t0 = performance.now();
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      const state = STATES[i % STATES.length];
      const t = sampleTask(`${i.toString(16).padStart(8, '0')}-aaaa-4bbb-8ccc-${(i * 7919 % 1e12).toString(16).padStart(12, '0')}`, {
        state, name: `proj.tasks.job_${i % 25}`, worker: `w${i % 10}@host`, args: `(${i}, 'customer-${i % 9973}')`,
        timestamp: NOW - ROWS + i, failed: state === 'FAILURE' ? NOW - ROWS + i : null, exception: state === 'FAILURE' ? `ValueError('bad ${i}')` : null });
      const row = taskToRow(t, { seq: 1, takenAt: t.timestamp });
      insert.run(...TASK_COLUMN_NAMES.map((c) => row[c]));
    }
  })();
  db.close();
  const loadSecs = (performance.now() - t0) / 1000;
  const store = new SqliteHistory(file);
  const cases = {
    'first page (newest)': 'limit=50',
    'state=FAILURE': 'state=FAILURE&limit=50',
    'name + worker': 'name=proj.tasks.job_7&worker=w7@host&limit=50',
    'last hour': 'since=1h&limit=50',
    'text search args, last 24 h': 'q=customer-4242\'&since=24h&limit=50',
    'text search args, everything': 'q=customer-4242\'&limit=50',
    'text search matching every row (uuid part)': 'q=-4bbb-&limit=50',
    'text search, 2 characters (no index: LIKE)': 'q=zq&limit=50',
  };
  const out = {};
  for (const [what, qs] of Object.entries(cases)) {
    const times = [];
    for (let r = 0; r < 3; r++) {
      const s = performance.now();
      await store.search(parseTaskQuery(new URLSearchParams(qs), NOW), 51);
      times.push(performance.now() - s);
    }
    out[what] = Math.min(...times);
  }
  await store.close();
  process.stdout.write(`history: ${ROWS} rows loaded in ${loadSecs.toFixed(0)} s\n| query (SQLite, ${ROWS} tasks) | ms (best of 3) | target |\n|---|---:|---:|\n`);
  for (const [what, ms] of Object.entries(out)) process.stdout.write(`| ${what} | ${ms.toFixed(1)} | ≤ 300 ms ${ms <= 300 ? 'pass' : '**FAIL**'} |\n`);
  process.exitCode = Object.values(out).every((ms) => ms <= 300) ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
