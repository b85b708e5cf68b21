import { closeSync, openSync, readFileSync, unlinkSync, writeSync, constants } from 'node:fs';
import { EvcamError, ErrorCodes, type Logger } from '@evcam/camera-api';

/** Celery exits with EX_CANTCREAT when the pidfile is held by a live process. */
export const EX_CANTCREAT = 73;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // Celery treats EPERM like ESRCH (not ours to signal → stale).
    return false;
  }
}

/**
 * Celery's PIDFile: created O_EXCL with "<pid>\n"; a broken or stale one is
 * replaced, a live one refuses the start. Returns the release function.
 */
export function acquirePidfile(path: string, logger: Logger): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
        } catch { /* already gone */ }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new EvcamError(ErrorCodes.PIDFILE, `cannot create pidfile ${path}: ${(err as Error).message}`, { cause: err });
      }
    }
    let pid = NaN;
    try {
      pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    } catch { /* vanished meanwhile */ }
    if (!Number.isInteger(pid) || pid <= 0) {
      logger.warn({ pidfile: path }, 'Broken pidfile found - Removing it.');
    } else if (!isAlive(pid)) {
      logger.warn({ pidfile: path, pid }, 'Stale pidfile exists - Removing it.');
    } else {
      throw new EvcamError(ErrorCodes.PIDFILE,
        `pidfile ${path} already exists. Seems we're already running? (pid: ${pid}). Stop that process, or use another --pidfile.`);
    }
    try { unlinkSync(path); } catch { /* someone else removed it */ }
  }
  throw new EvcamError(ErrorCodes.PIDFILE, `could not take pidfile ${path}: another process keeps recreating it.`);
}
