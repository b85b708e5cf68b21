/** Every error evcam reports carries one of these codes. */
export const ErrorCodes = {
  CONFIG_INVALID: 'EVCAM_ERR_CONFIG_INVALID',
  CONFIG_NOT_FOUND: 'EVCAM_ERR_CONFIG_NOT_FOUND',
  CAMERA_NOT_INSTALLED: 'EVCAM_ERR_CAMERA_NOT_INSTALLED',
  NOT_A_CAMERA: 'EVCAM_ERR_NOT_A_CAMERA',
  CAMERA_IMPORT: 'EVCAM_ERR_CAMERA_IMPORT',
  CAMERA_AMBIGUOUS: 'EVCAM_ERR_CAMERA_AMBIGUOUS',
  CAMERA_OPTIONS: 'EVCAM_ERR_CAMERA_OPTIONS',
  API_VERSION: 'EVCAM_ERR_API_VERSION',
  CAMERA_START: 'EVCAM_ERR_CAMERA_START',
  CAMERA_SHUTTER: 'EVCAM_ERR_CAMERA_SHUTTER',
  CAMERA_CLEANUP: 'EVCAM_ERR_CAMERA_CLEANUP',
  COMPONENT: 'EVCAM_ERR_COMPONENT',
  BROKER_URL: 'EVCAM_ERR_BROKER_URL',
  BROKER_CONNECT: 'EVCAM_ERR_BROKER_CONNECT',
  PIDFILE: 'EVCAM_ERR_PIDFILE',
  REPLAY_FILE: 'EVCAM_ERR_REPLAY_FILE',
  USAGE: 'EVCAM_ERR_USAGE',
  DB_AUTH: 'EVCAM_ERR_DB_AUTH',
  DB_MISSING: 'EVCAM_ERR_DB_MISSING',
  DB_PERMISSION: 'EVCAM_ERR_DB_PERMISSION',
  DB_UNAVAILABLE: 'EVCAM_ERR_DB_UNAVAILABLE',
  HISTORY_SCHEMA_NEWER: 'EVCAM_ERR_HISTORY_SCHEMA_NEWER',
  HISTORY_FENCED: 'EVCAM_ERR_HISTORY_FENCED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface EvcamErrorOptions {
  cause?: unknown;
  /**
   * True when retrying later may succeed (a backend that is down), false for
   * mistakes only the user can fix (bad options, missing bucket).
   */
  retryable?: boolean;
}

/**
 * An error with a code and a message that says what to do.
 * Cameras throw it from onInstall() to say whether the kernel should retry.
 */
export class EvcamError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: EvcamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EvcamError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }

  /** Works across copies of this package (instanceof would not). */
  static is(err: unknown): err is EvcamError {
    return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'EvcamError' &&
      typeof (err as { code?: unknown }).code === 'string';
  }
}
