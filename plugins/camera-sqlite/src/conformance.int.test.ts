import { join } from 'node:path';
import { runCameraConformance } from '@evcam/camera-testkit';
import Database from 'better-sqlite3';
import { rowToTask, type DbRow } from '@evcam/history-schema';
import { SqliteCamera } from './index.js';

// The camera on a real SQLite file in the kit's temp dir. The backend breaks by another
// connection holding the write lock (busyTimeout short), so shutters fail as "database is locked".
let blocker: Database.Database | null = null;

runCameraConformance(SqliteCamera, {
  options: { file: './evcam.db', busyTimeout: '100ms' },
  readBack: ({ dir }) => {
    const db = new Database(join(dir, 'evcam.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM tasks').all() as DbRow[];
      return { tasks: Object.fromEntries(rows.map((r) => [String(r.uuid), rowToTask(r)])) };
    } finally {
      db.close();
    }
  },
  breakBackend: ({ dir }) => {
    blocker = new Database(join(dir, 'evcam.db'));
    blocker.exec('BEGIN IMMEDIATE');
  },
  repairBackend: () => {
    blocker?.exec('ROLLBACK');
    blocker?.close();
    blocker = null;
  },
});
