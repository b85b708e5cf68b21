import { existsSync } from 'node:fs';
import type { TaskSnapshot } from '@evcam/camera-api';
import { FTS_TABLE, rowToTask, tableNames, usesSearchIndex, type DbRow } from '@evcam/history-schema';

/** Rows a text search scans in order before it asks the trigram index (a few ms of LIKE). */
const PROBE_ROWS = 5000;
import Database from 'better-sqlite3';
import type { TaskQuery } from '../task-query.js';
import { searchSql, SQLITE, SQLITE_FTS, type SqlDialect } from './sql.js';
import type { HistoryStore } from './store.js';

/** The SQLite camera's database, opened read-only (the camera writes in WAL mode; readers never block it). */
export class SqliteHistory implements HistoryStore {
  private readonly db: Database.Database;
  private readonly tasks = tableNames('sqlite').tasks;
  /** FTS when the camera's schema is at version 3 or later; a version-2 file is searched with LIKE alone. */
  private dialect: SqlDialect | null = null;

  /** @param probeRows rows a text search scans in order before it asks the index (tests make it small). */
  constructor(readonly file: string, private readonly probeRows = PROBE_ROWS) {
    if (!existsSync(file)) throw new Error(`no history database at ${file}`);
    this.db = new Database(file, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 2000');
  }

  async search(query: TaskQuery, limit: number): Promise<TaskSnapshot[]> {
    const dialect = this.searchDialect();
    if (dialect.fts === true && query.q !== null && usesSearchIndex(query.q)) {
      // A text in most rows makes the index return most rows (seconds at 1M), while the ordered scan
      // finds a page in its first rows. So: the first PROBE_ROWS rows in order first; a full page
      // there is exactly the answer (nothing earlier was skipped). Otherwise the match is rare: index.
      const probe = searchSql(dialect, '', query, limit, this.probeRows);
      const rows = this.db.prepare(probe.sql).all(...(probe.params as never[])) as DbRow[];
      if (rows.length >= limit) return rows.map(rowToTask);
    }
    const { sql, params } = searchSql(dialect, '', query, limit);
    return (this.db.prepare(sql).all(...(params as never[])) as DbRow[]).map(rowToTask);
  }

  /** Checked until found: the camera may migrate the file to version 3 while the dashboard runs. */
  private searchDialect(): SqlDialect {
    if (this.dialect !== null) return this.dialect;
    const fts = this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = ?").get(FTS_TABLE) !== undefined;
    if (fts) this.dialect = SQLITE_FTS;
    return fts ? SQLITE_FTS : SQLITE;
  }

  async get(uuid: string): Promise<TaskSnapshot | null> {
    const row = this.db.prepare(`SELECT * FROM ${this.tasks} WHERE uuid = ?`).get(uuid) as DbRow | undefined;
    return row === undefined ? null : rowToTask(row);
  }

  async summaries(uuids: readonly string[]): Promise<Map<string, { name: string | null; state: string }>> {
    const out = new Map<string, { name: string | null; state: string }>();
    if (uuids.length === 0) return out;
    const rows = this.db.prepare(`SELECT uuid, name, state FROM ${this.tasks} WHERE uuid IN (${uuids.map(() => '?').join(', ')})`)
      .all(...uuids) as { uuid: string; name: string | null; state: string }[];
    for (const r of rows) out.set(r.uuid, { name: r.name, state: r.state });
    return out;
  }

  async children(uuid: string, limit: number): Promise<string[]> {
    return (this.db.prepare(`SELECT uuid FROM ${this.tasks} WHERE parent_id = ? AND uuid <> ? ORDER BY uuid LIMIT ?`)
      .all(uuid, uuid, limit) as { uuid: string }[]).map((r) => r.uuid);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
