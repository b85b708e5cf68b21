import { SCHEMA_VERSION } from '@evcam/history-schema';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, EvcamError } from '@evcam/camera-api';
import { FakeHost, parseOptionsWith, RecordingLogger, sampleTask, startTcpProxy, type TcpProxy } from '@evcam/camera-testkit';
import { optionsSchema, PostgresCamera } from './index.js';
import { dropSchema, freshSchema, PG_URL, urlVia, withClient } from './testing/pg.js';

const camera = (options: Record<string, unknown>, logger = new RecordingLogger()) =>
  new PostgresCamera({ name: 'postgres', options: parseOptionsWith(optionsSchema, options), logger, host: new FakeHost() });

async function startError(options: Record<string, unknown>): Promise<EvcamError> {
  try {
    await camera(options).onInstall();
  } catch (err) {
    assert.ok(EvcamError.is(err), String(err));
    return err;
  }
  assert.fail('onInstall succeeded');
}

const withUser = (user: string, db = 'test'): string => PG_URL.replace(/\/\/[^@]*@/, `//${user}:s3cret-pw@`).replace(/\/[^/]*$/, `/${db}`);

describe('PostgreSQL start errors are coded; only an unreachable server is retryable', () => {
  // A login role without CREATE on the database (PostgreSQL 15 grants PUBLIC only CONNECT and TEMP).
  const role = `evcam_noperm_${process.pid}`;
  before(() => withClient(async (c) => {
    await c.query(`DROP ROLE IF EXISTS ${role}`);
    await c.query(`CREATE ROLE ${role} LOGIN`);
  }));
  after(() => withClient((c) => c.query(`DROP ROLE IF EXISTS ${role}`)));

  test('a database that does not exist (3D000): EVCAM_ERR_DB_MISSING, not retryable, password not in the message', async () => {
    const err = await startError({ url: withUser('postgres', 'evcam_no_such_db') });
    assert.equal(err.code, ErrorCodes.DB_MISSING);
    assert.equal(err.retryable, false);
    assert.match(err.message, /createdb/);
    assert.doesNotMatch(err.message, /s3cret-pw/);
  });

  test('an unknown role (28000): EVCAM_ERR_DB_AUTH, not retryable', async () => {
    const err = await startError({ url: withUser('evcam_no_such_role') });
    assert.equal(err.code, ErrorCodes.DB_AUTH);
    assert.equal(err.retryable, false);
  });

  test('a role that may not create the schema (42501): EVCAM_ERR_DB_PERMISSION, not retryable', async () => {
    const err = await startError({ url: withUser(role), schema: freshSchema() });
    assert.equal(err.code, ErrorCodes.DB_PERMISSION);
    assert.equal(err.retryable, false);
    assert.match(err.message, /GRANT/);
  });

  test('an unreachable server: EVCAM_ERR_DB_UNAVAILABLE, retryable', async () => {
    const proxy: TcpProxy = await startTcpProxy(5432);
    proxy.cut();
    try {
      const err = await startError({ url: urlVia(proxy.port), connectTimeout: 1 });
      assert.equal(err.code, ErrorCodes.DB_UNAVAILABLE);
      assert.equal(err.retryable, true);
    } finally {
      await proxy.close();
    }
  });

  test('two cameras installing the same fresh schema at once both succeed (advisory lock)', async () => {
    const schema = freshSchema();
    try {
      const cams = Array.from({ length: 4 }, () => camera({ url: PG_URL, schema }));
      await Promise.all(cams.map((c) => c.onInstall()));
      const host = new FakeHost();
      host.setTask(sampleTask('t1'));
      await cams[0]!.onShutter(host.takeSnapshot(0, 1).snapshot, { signal: new AbortController().signal, attempt: 1 });
      await Promise.all(cams.map((c) => c.onClose()));
      const rows = await withClient((c) => c.query(`SELECT value FROM "${schema}".meta WHERE key = 'schema_version'`));
      assert.equal(rows.rows[0].value, String(SCHEMA_VERSION));
    } finally {
      await dropSchema(schema);
    }
  });

  test('the password is never logged', async () => {
    const logger = new RecordingLogger();
    const schema = freshSchema();
    try {
      const cam = camera({ url: withUser('postgres'), schema }, logger);
      await cam.onInstall();
      await cam.onClose();
      const logged = logger.text();
      assert.match(logged, /history schema/);
      assert.doesNotMatch(logged, /s3cret-pw/);
    } finally {
      await dropSchema(schema);
    }
  });
});
