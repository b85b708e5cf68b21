// Types of what the kernel's shutter engine reports and is configured with. The engine
// itself lives in evcam-kernel; these are here so cameras, the test kit and exporters can
// name them without depending on the kernel.

/** A maxrate as Celery writes it: '100/s', '10/m', '5/h', '100', or a number per second. */
export type Rate = string | number;

/** Celery's Polaroid arguments plus evcam's reliability knobs. Seconds throughout. */
export interface PolaroidSettings {
  /** Seconds between shutters (Celery's freq). */
  freq: number;
  /** At most this many shutters: '10/m', '1/s', a number per second, or null. */
  maxrate: Rate | null;
  /** Seconds between cleanups (Celery's cleanup_freq). */
  cleanupFreq: number;
  /** Clear the State after each stored shutter (Celery's clear_after). */
  clearAfter: boolean;
  /** Give up on one onShutter call after this many seconds (0: never). */
  shutterTimeout: number;
  /** Cap of the exponential backoff between failed shutters. */
  maxBackoff: number;
  /** How long the final shutter may take at stop. */
  finalShutterTimeout: number;
}

/**
 * created: onInstall has not succeeded yet; ok: the last shutter was stored;
 * failing: the last shutter failed (retried with backoff); hung: an onShutter call
 * ignored its AbortSignal after shutterTimeout and has not settled (no new shutter
 * until it does); closed: onClose ran.
 */
export type CameraStatus = 'created' | 'ok' | 'failing' | 'hung' | 'closed';

/** Per-camera health, reported on /healthz and /metrics. */
export interface CameraHealth {
  status: CameraStatus;
  /** Snapshots taken. */
  shutters: number;
  /** Snapshots stored by onShutter. */
  stored: number;
  /** onShutter calls that threw, rejected or timed out. */
  failures: number;
  timeouts: number;
  consecutiveFailures: number;
  /** Snapshots replaced by a newer one before they were stored (nothing is lost: `changed` spans both). */
  superseded: number;
  /** Shutters skipped by maxrate. */
  rateLimited: number;
  /** onCleanup calls that threw or rejected. */
  cleanupFailures: number;
  /** onEvent calls that threw (caught; ingestion carries on). */
  eventErrors: number;
  lastError: string | null;
  lastStoredSeq: number | null;
  lastStoredAt: number | null;
  lastDurationMs: number | null;
}
