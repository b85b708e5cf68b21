// Both SQL cameras' databases, read the same way: a fresh PostgreSQL schema or SQLite file per test.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskSnapshot, WorkerSnapshot } from '@evcam/camera-api';
import {
  documentedQueries, queryArgs, rowToTask, rowToWorker, tableNames, type DbRow, type Dialect, type QueryId,
} from '@evcam/history-schema';
import { parseOptionsWith, RecordingLogger } from '@evcam/camera-testkit';
import type { CameraServices, Polaroid } from '@evcam/camera-api';
import { PostgresCamera, optionsSchema as postgresOptions } from '@evcam/camera-postgres';
import { SqliteCamera, optionsSchema as sqliteOptions } from '@evcam/camera-sqlite';
import Database from 'better-sqlite3';
import pg from 'pg';

export const PG_URL = process.env.EVCAM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface HistoryDb {
  dialect: Dialect;
  /** `--camera NAME --camera-option ...` for evcam-kernel. */
  cameraArgs: string[];
  /** The camera entry for a config file's `cameras`. */
  cameraEntry: { use: string; options: Record<string, unknown> };
  tasks(): Promise<Record<string, TaskSnapshot>>;
  workers(): Promise<Record<string, WorkerSnapshot>>;
  /** Rows of any SQL (tables named plainly: tasks, workers, shutters, meta). */
  rows(sql: string): Promise<DbRow[]>;
  /** A documented query with named values. */
  documented(id: QueryId, values: Record<string, unknown>): Promise<DbRow[]>;
  /** The camera on this database, in this process, with extra options. */
  camera(host: CameraServices, extra?: Record<string, unknown>): Polaroid<any> & { stats: { replaced: number; stored: number; fenced: number; deleted: number } };
  drop(): Promise<void>;
}

export const cameraLogger = (): RecordingLogger => new RecordingLogger();

export function postgresHistory(): HistoryDb {
  const schema = `evcam_t_${randomBytes(5).toString('hex')}`;
  const t = tableNames('postgres', schema);
  const queries = documentedQueries('postgres', schema);
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const rows = async (sql: string, args: unknown[] = []): Promise<DbRow[]> => (await pool.query<DbRow>(sql, args)).rows;
  const qualified = (sql: string): string => sql.replace(/\b(FROM|JOIN|INTO|UPDATE)\s+(tasks|workers|shutters|meta)\b/g, (_m, kw: string, name: keyof typeof t) => `${kw} ${t[name]}`);
  return {
    dialect: 'postgres',
    cameraArgs: ['--camera', 'postgres', '--camera-option', `url=${PG_URL}`, '--camera-option', `schema=${schema}`],
    cameraEntry: { use: 'postgres', options: { url: PG_URL, schema } },
    tasks: async () => Object.fromEntries((await rows(`SELECT * FROM ${t.tasks}`)).map((r) => [String(r.uuid), rowToTask(r)])),
    workers: async () => Object.fromEntries((await rows(`SELECT * FROM ${t.workers}`)).map((r) => [String(r.hostname), rowToWorker(r)])),
    rows: (sql) => rows(qualified(sql)),
    documented: (id, values) => rows(queries[id].sql, queryArgs('postgres', queries[id], values) as unknown[]),
    camera: (host, extra = {}) => new PostgresCamera({
      name: 'postgres', host, logger: new RecordingLogger(), options: parseOptionsWith(postgresOptions, { url: PG_URL, schema, ...extra }),
    }),
    async drop() {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

export function sqliteHistory(): HistoryDb {
  const dir = mkdtempSync(join(tmpdir(), 'evcam-sqlite-'));
  const file = join(dir, 'evcam.db');
  const queries = documentedQueries('sqlite');
  const rows = async (sql: string, args: unknown[] | Record<string, unknown> = []): Promise<DbRow[]> => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare(sql).all(args as never) as DbRow[];
    } finally {
      db.close();
    }
  };
  return {
    dialect: 'sqlite',
    cameraArgs: ['--camera', 'sqlite', '--camera-option', `file=${file}`],
    cameraEntry: { use: 'sqlite', options: { file } },
    tasks: async () => Object.fromEntries((await rows('SELECT * FROM tasks')).map((r) => [String(r.uuid), rowToTask(r)])),
    workers: async () => Object.fromEntries((await rows('SELECT * FROM workers')).map((r) => [String(r.hostname), rowToWorker(r)])),
    rows: (sql) => rows(sql),
    documented: (id, values) => rows(queries[id].sql, queryArgs('sqlite', queries[id], values) as Record<string, unknown>),
    camera: (host, extra = {}) => new SqliteCamera({
      name: 'sqlite', host, logger: new RecordingLogger(), configDir: dir, options: parseOptionsWith(sqliteOptions, { file, ...extra }),
    }),
    async drop() { rmSync(dir, { recursive: true, force: true }); },
  };
}

export const HISTORY_DBS: { name: string; open: () => HistoryDb }[] = [
  { name: 'postgres', open: postgresHistory },
  { name: 'sqlite', open: sqliteHistory },
];
