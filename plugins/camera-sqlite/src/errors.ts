import { EvcamError, ErrorCodes } from '@evcam/camera-api';
import type { ThreadError } from './protocol.js';

/**
 * A failure from the SQLite thread as evcam reports it. A locked or busy database, a full
 * disk or an I/O error is retryable (the next stored shutter writes everything changed since
 * the last one); a read-only file, a missing directory, a newer schema or fencing are not.
 */
export function toEvcamError(error: ThreadError, doing: string, file: string): EvcamError {
  const { code, message } = error;
  if (code === ErrorCodes.HISTORY_FENCED) {
    return new EvcamError(ErrorCodes.HISTORY_FENCED,
      `shutter refused: its HA epoch is lower than epoch ${error.stored} already stored in ${file}; another kernel leads now, so this one must not write.`,
      { retryable: false });
  }
  if (code === ErrorCodes.HISTORY_SCHEMA_NEWER) {
    return new EvcamError(ErrorCodes.HISTORY_SCHEMA_NEWER,
      `the history database ${file} is at schema version ${error.stored}, newer than this camera knows: nothing was changed. ` +
      'Upgrade @evcam/camera-sqlite, or set the camera option file to another database.', { retryable: false });
  }
  if (code === 'SQLITE_CANTOPEN') {
    return new EvcamError(ErrorCodes.DB_MISSING,
      `SQLite cannot open ${file} (${message}): create its directory, or set the camera option file to a writable path.`, { retryable: false });
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new EvcamError(ErrorCodes.DB_PERMISSION,
      `SQLite may not write ${file} (${code}: ${message}): make the file and its directory writable by this user.`, { retryable: false });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new EvcamError(ErrorCodes.DB_PERMISSION,
      `${file} is not a usable SQLite database (${code}: ${message}): move it away or set the camera option file to another path.`, { retryable: false });
  }
  return new EvcamError(ErrorCodes.DB_UNAVAILABLE,
    `SQLite ${file} failed ${doing} (${code}: ${message}); retrying with backoff, nothing is lost meanwhile.`, { retryable: true });
}
