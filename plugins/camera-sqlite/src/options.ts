import { bool, duration, positiveInt } from '@evcam/options';
import { retentionOption } from '@evcam/history-schema';
import { z } from 'zod';

export const optionsSchema = z.object({
  /** The database file, relative to the config file's directory; created with its tables when missing. */
  file: z.string().min(1).default('./evcam.db'),
  /** Write-ahead logging: readers (sqlite3, the dashboard) never block the camera, nor it them. */
  wal: bool.default(true),
  /** How long one write waits for another writer's lock (seconds or "5s") before the shutter fails and is retried. */
  busyTimeout: duration.default(5),
  /** Keep task rows this long per state: { SUCCESS: '1d', FAILURE: '7d', default: '3d' }; unset keeps all. */
  retention: retentionOption.optional(),
  /** Rows one retention DELETE removes (short transactions, no long locks). */
  retentionBatch: positiveInt.default(5000),
}).strict();

export type SqliteCameraOptions = z.output<typeof optionsSchema>;
