import type { HistoryStore } from './store.js';

/** The history store for a `history` option: a postgres:// URL or a SQLite file. */
export async function openHistory(_location: string, _schema: string, _configDir: string): Promise<HistoryStore> {
  throw new Error('history is not available yet');
}
