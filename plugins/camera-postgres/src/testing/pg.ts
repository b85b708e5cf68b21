import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskSnapshot, WorkerSnapshot } from '@evcam/camera-api';
import { rowToTask, rowToWorker, tableNames, type DbRow } from '@evcam/history-schema';
import pg from 'pg';

/** The test server: 127.0.0.1:5432, trust auth, database `test`. */
export const PG_URL = process.env.EVCAM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const urlVia = (port: number): string => PG_URL.replace(/@[^/]+\//, `@127.0.0.1:${port}/`);

/** The repo root, from dist/testing/. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** A fresh schema name for one test; drop it with dropSchema. */
export const freshSchema = (): string => `evcam_t_${randomBytes(5).toString('hex')}`;

export async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export const dropSchema = (schema: string): Promise<unknown> => withClient((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));

export async function readTasks(schema: string): Promise<Record<string, TaskSnapshot>> {
  const rows = await withClient((c) => c.query<DbRow>(`SELECT * FROM ${tableNames('postgres', schema).tasks}`));
  return Object.fromEntries(rows.rows.map((r) => [String(r.uuid), rowToTask(r)]));
}

export async function readWorkers(schema: string): Promise<Record<string, WorkerSnapshot>> {
  const rows = await withClient((c) => c.query<DbRow>(`SELECT * FROM ${tableNames('postgres', schema).workers}`));
  return Object.fromEntries(rows.rows.map((r) => [String(r.hostname), rowToWorker(r)]));
}

export async function count(schema: string, table: 'tasks' | 'workers' | 'shutters'): Promise<number> {
  const r = await withClient((c) => c.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".${table}`));
  return Number(r.rows[0]!.n);
}
