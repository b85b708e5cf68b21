import { EvcamError, ErrorCodes, type ErrorCode } from '@evcam/camera-api';

/** SQLSTATEs only the operator can fix: retrying will not help. */
const FATAL: Record<string, { code: ErrorCode; fix: string }> = {
  '28P01': { code: ErrorCodes.DB_AUTH, fix: 'fix the user/password in the camera url (or pg_hba.conf)' },
  '28000': { code: ErrorCodes.DB_AUTH, fix: 'pg_hba.conf refuses this user/host: allow it, or use another user' },
  '3D000': { code: ErrorCodes.DB_MISSING, fix: 'create the database (createdb NAME) or point url at an existing one' },
  '42501': { code: ErrorCodes.DB_PERMISSION, fix: 'GRANT CREATE ON DATABASE (or USAGE, CREATE ON SCHEMA) to the user, or pick a schema it owns' },
};

const sqlstate = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};

/**
 * A pg error as evcam reports it. Credentials, missing database and permissions are not
 * retryable; everything else (refused/reset connections, timeouts, a server shutting down,
 * deadlocks) is: the next shutter writes everything changed since the last stored one.
 */
export function toEvcamError(err: unknown, doing: string, where: string): EvcamError {
  if (EvcamError.is(err)) return err;
  const message = (err as Error)?.message ?? String(err);
  const state = sqlstate(err);
  const fatal = state === undefined ? undefined : FATAL[state];
  if (fatal) {
    return new EvcamError(fatal.code, `PostgreSQL ${where} refused ${doing} (${state}: ${message}): ${fatal.fix}.`, { cause: err, retryable: false });
  }
  return new EvcamError(ErrorCodes.DB_UNAVAILABLE,
    `PostgreSQL ${where} failed ${doing} (${state ?? (err as { code?: string })?.code ?? 'error'}: ${message}); retrying with backoff, nothing is lost meanwhile.`,
    { cause: err, retryable: true });
}
