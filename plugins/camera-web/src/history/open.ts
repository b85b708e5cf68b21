import { resolve } from 'node:path';
import { EvcamError, ErrorCodes } from '@evcam/camera-api';
import { redactUrl } from '@evcam/options';
import type { HistoryStore } from './store.js';

/** The history store for a `history` option: a postgres:// URL, or a SQLite file (relative to the config file). */
export async function openHistory(location: string, schema: string, configDir: string): Promise<HistoryStore> {
  if (/^postgres(ql)?:\/\//.test(location)) {
    const { PostgresHistory } = await import('./postgres.js');
    const store = new PostgresHistory(location, schema);
    try {
      await store.check();
    } catch (err) {
      await store.close();
      const missing = (err as { code?: string }).code === '42P01';
      throw new EvcamError(ErrorCodes.CAMERA_START, missing
        ? `history ${redactUrl(location)} has no ${schema}.tasks table: point history at the database the postgres camera writes (and historySchema at its schema)`
        : `history ${redactUrl(location)} is not reachable (${(err as Error).message}); retrying`, { cause: err, retryable: !missing });
    }
    return store;
  }
  const file = resolve(configDir, location.replace(/^sqlite:(\/\/)?/, ''));
  const { SqliteHistory } = await import('./sqlite.js');
  try {
    return new SqliteHistory(file);
  } catch (err) {
    throw new EvcamError(ErrorCodes.CAMERA_START,
      `history ${file} cannot be opened (${(err as Error).message}): point history at the file the sqlite camera writes (its file option)`,
      { cause: err, retryable: false });
  }
}
