import { SCHEMA_VERSION } from '@evcam/history-schema';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ErrorCodes, EvcamError } from '@evcam/camera-api';
import { FakeHost, parseOptionsWith, RecordingLogger, sampleTask } from '@evcam/camera-testkit';
import Database from 'better-sqlite3';
import { optionsSchema, SqliteCamera } from './index.js';

const camera = (dir: string, options: Record<string, unknown>) =>
  new SqliteCamera({ name: 'sqlite', options: parseOptionsWith(optionsSchema, options), logger: new RecordingLogger(), host: new FakeHost(), configDir: dir });

async function startError(cam: SqliteCamera): Promise<EvcamError> {
  try {
    await cam.onInstall();
  } catch (err) {
    assert.ok(EvcamError.is(err), String(err));
    return err;
  }
  assert.fail('onInstall succeeded');
}

test('the default file is ./evcam.db next to the config file, in WAL mode, queryable by another connection', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'evcam-sqlite-'));
  const cam = camera(dir, {});
  await cam.onInstall();
  const host = new FakeHost();
  host.setTask(sampleTask('t1', { state: 'SUCCESS' }));
  await cam.onShutter(host.takeSnapshot(0, 1).snapshot, { signal: new AbortController().signal, attempt: 1 });
  const db = new Database(join(dir, 'evcam.db'), { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.deepEqual(db.prepare('SELECT uuid, state FROM tasks').all(), [{ uuid: 't1', state: 'SUCCESS' }]);
  db.close();
  await cam.onClose();
});

test('a missing directory: EVCAM_ERR_DB_MISSING, not retryable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'evcam-sqlite-'));
  const err = await startError(camera(dir, { file: './no/such/dir/evcam.db' }));
  assert.equal(err.code, ErrorCodes.DB_MISSING);
  assert.equal(err.retryable, false);
});

test('a file that is not a database: EVCAM_ERR_DB_PERMISSION, not retryable, the file untouched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'evcam-sqlite-'));
  const notes = 'not a database, but precious notes\n'.repeat(200);
  writeFileSync(join(dir, 'evcam.db'), notes);
  const err = await startError(camera(dir, {}));
  assert.equal(err.code, ErrorCodes.DB_PERMISSION);
  assert.equal(err.retryable, false);
  assert.equal(readFileSync(join(dir, 'evcam.db'), 'utf8'), notes);
});

test('four cameras opening one fresh file at once all migrate it (one IMMEDIATE transaction each)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'evcam-sqlite-'));
  const cams = Array.from({ length: 4 }, () => camera(dir, {}));
  await Promise.all(cams.map((c) => c.onInstall()));
  await Promise.all(cams.map((c) => c.onClose()));
  const db = new Database(join(dir, 'evcam.db'), { readonly: true });
  assert.equal(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), String(SCHEMA_VERSION));
  db.close();
});
