import { EvcamError, ErrorCodes } from '@evcam/camera-api';
import { META_KEYS, migrations, pgSearchIndexCheck, SCHEMA_VERSION, searchIndexStatements, tableNames } from '@evcam/history-schema';
import type { Pool } from 'pg';

export interface MigrationResult {
  /** The version found (0: no history tables yet). */
  from: number;
  to: number;
  /** Whether text search has its pg_trgm indexes (false: the extension could not be installed; ILIKE scans). */
  searchIndexed: boolean;
}

/**
 * Bring the schema to SCHEMA_VERSION in one transaction under an advisory lock, so two
 * kernels starting at once apply it once. A newer schema is refused before anything runs.
 */
export async function migrate(pool: Pool, schema: string): Promise<MigrationResult> {
  const t = tableNames('postgres', schema);
  const client = await pool.connect();
  const lost = (): void => {}; // reported by the failing query; without a listener it would crash the process
  client.on('error', lost);
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`evcam-history:${schema}`]);
    const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [t.meta]);
    let from = 0;
    if (exists.rows[0]?.t) {
      const row = await client.query<{ value: string }>(`SELECT value FROM ${t.meta} WHERE key = $1`, [META_KEYS.schemaVersion]);
      from = row.rows.length ? Number(row.rows[0]!.value) : 0;
    }
    if (from > SCHEMA_VERSION) {
      throw new EvcamError(ErrorCodes.HISTORY_SCHEMA_NEWER,
        `the history schema "${schema}" is at version ${from}, newer than this camera's ${SCHEMA_VERSION}: nothing was changed. ` +
        'Upgrade @evcam/camera-postgres, or set the camera option schema to another one.', { retryable: false });
    }
    for (const m of migrations('postgres', schema)) {
      if (m.version <= from) continue;
      for (const statement of m.statements) await client.query(statement);
    }
    // Again at each start (idempotent): the indexes appear once an administrator installs pg_trgm.
    if (from >= 3) for (const statement of searchIndexStatements('postgres', schema)) await client.query(statement);
    const check = pgSearchIndexCheck(schema);
    const searchIndexed = (await client.query<{ n: number }>(check.sql, check.params)).rows[0]!.n === check.params[1].length;
    if (from < SCHEMA_VERSION) {
      await client.query(`INSERT INTO ${t.meta} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
        [META_KEYS.schemaVersion, String(SCHEMA_VERSION)]);
    }
    await client.query('COMMIT');
    return { from, to: SCHEMA_VERSION, searchIndexed };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.off('error', lost);
    client.release();
  }
}
