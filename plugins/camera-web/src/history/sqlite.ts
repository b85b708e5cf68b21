import { existsSync } from 'node:fs';
import type { TaskSnapshot } from '@evcam/camera-api';
import { FTS_TABLE, rowToTask, tableNames, type DbRow } from '@evcam/history-schema';
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

  constructor(readonly file: string) {
    if (!existsSync(file)) throw new Error(`no history database at ${file}`);
    this.db = new Database(file, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 2000');
  }

  async search(query: TaskQuery, limit: number): Promise<TaskSnapshot[]> {
    const { sql, params } = searchSql(this.searchDialect(), '', query, limit);
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
