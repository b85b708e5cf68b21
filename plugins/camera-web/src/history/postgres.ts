import type { TaskSnapshot } from '@evcam/camera-api';
import { rowToTask, tableNames, type DbRow } from '@evcam/history-schema';
import pg from 'pg';
import type { TaskQuery } from '../task-query.js';
import { POSTGRES, searchSql } from './sql.js';
import type { HistoryStore } from './store.js';

/** The PostgreSQL camera's tables, read through a small pool. */
export class PostgresHistory implements HistoryStore {
  private readonly pool: pg.Pool;
  private readonly tasks: string;

  constructor(url: string, private readonly schema: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 4, application_name: 'evcam-web', statement_timeout: 10_000 });
    this.pool.on('error', () => { /* an idle client lost its server: the next query reconnects */ });
    this.tasks = tableNames('postgres', schema).tasks;
  }

  /** Fails when the server cannot be reached or the tables are missing. */
  async check(): Promise<void> {
    await this.pool.query(`SELECT 1 FROM ${this.tasks} LIMIT 1`);
  }

  async search(query: TaskQuery, limit: number): Promise<TaskSnapshot[]> {
    const { sql, params } = searchSql(POSTGRES, this.schema, query, limit);
    return (await this.pool.query(sql, params)).rows.map((r: DbRow) => rowToTask(r));
  }

  async get(uuid: string): Promise<TaskSnapshot | null> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.tasks} WHERE uuid = $1`, [uuid]);
    return rows.length === 0 ? null : rowToTask(rows[0] as DbRow);
  }

  async summaries(uuids: readonly string[]): Promise<Map<string, { name: string | null; state: string }>> {
    const out = new Map<string, { name: string | null; state: string }>();
    if (uuids.length === 0) return out;
    const { rows } = await this.pool.query(`SELECT uuid, name, state FROM ${this.tasks} WHERE uuid = ANY($1)`, [uuids]);
    for (const r of rows as { uuid: string; name: string | null; state: string }[]) out.set(r.uuid, { name: r.name, state: r.state });
    return out;
  }

  async children(uuid: string, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query(`SELECT uuid FROM ${this.tasks} WHERE parent_id = $1 AND uuid <> $1 ORDER BY uuid LIMIT $2`, [uuid, limit]);
    return (rows as { uuid: string }[]).map((r) => r.uuid);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
