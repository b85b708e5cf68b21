// Migration 3's text-search index on PostgreSQL, and its fallback: a user who may not install
// pg_trgm still migrates (search runs as ILIKE without an index); once an administrator installs
// the extension, the next start creates the indexes.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { documentedQueries, queryArgs, SCHEMA_VERSION } from '@evcam/history-schema';
import pg from 'pg';
import { migrate } from './migrate.js';

const URL = process.env.EVCAM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

test('without the privilege to install pg_trgm: migrated to the current version, search unindexed but correct; indexed after an admin installs it', async () => {
  // A database of its own: pg_trgm is per database, and the shared one already has it.
  const id = randomUUID().slice(0, 8);
  const database = `evcam_fts_${id}`;
  const role = `evcam_fts_${id}`;
  const admin = new pg.Client({ connectionString: URL });
  await admin.connect();
  let dbAdmin: pg.Client | null = null;
  let pool: pg.Pool | null = null;
  try {
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    dbAdmin = new pg.Client({ connectionString: URL.replace(/\/[^/]*$/, `/${database}`) });
    await dbAdmin.connect();
    // The role owns its schema but may not CREATE in the database (so not install extensions).
    await dbAdmin.query(`REVOKE CREATE ON DATABASE ${database} FROM PUBLIC`);
    await dbAdmin.query(`CREATE SCHEMA evcam AUTHORIZATION ${role}`);
    const roleUrl = URL.replace(/\/\/[^@/]*@/, `//${role}@`).replace(/\/[^/]*$/, `/${database}`);
    pool = new pg.Pool({ connectionString: roleUrl, max: 2 });

    const first = await migrate(pool, 'evcam');
    assert.deepEqual(first, { from: 0, to: SCHEMA_VERSION, searchIndexed: false });
    await pool.query(`INSERT INTO evcam.tasks (uuid, state, clock, children, first_seen, last_changed, seq, args, "timestamp")
      VALUES ('a', 'SUCCESS', 1, '[]', 1, 1, 1, '(''Needle_1'',)', 10), ('b', 'SUCCESS', 1, '[]', 1, 1, 1, '(''needleX1'',)', 20)`);
    const q = documentedQueries('postgres').textSearch;
    const search = async (text: string) =>
      (await pool!.query(q.sql, queryArgs('postgres', q, { since: 0, text, limit: 10 }) as unknown[])).rows.map((r: { uuid: string }) => r.uuid);
    assert.deepEqual(await search('NEEDLE'), ['b', 'a']);
    assert.deepEqual(await search('needle_'), ['a'], '_ is literal');

    await dbAdmin.query('CREATE EXTENSION pg_trgm');
    const second = await migrate(pool, 'evcam');
    assert.deepEqual(second, { from: SCHEMA_VERSION, to: SCHEMA_VERSION, searchIndexed: true });
    assert.deepEqual(await search('NEEDLE'), ['b', 'a']);
    assert.deepEqual(await search('needle_'), ['a']);
  } finally {
    await pool?.end();
    await dbAdmin?.end();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  }
});
