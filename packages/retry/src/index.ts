import { setTimeout as sleep } from 'node:timers/promises';
import pRetry, { AbortError, type RetryContext } from 'p-retry';

export { AbortError, type RetryContext };

/** Bounds of a backoff, in seconds: the first step and the cap. */
export interface BackoffBounds {
  /** The first delay's ceiling (attempt 1). */
  min: number;
  /** No delay is longer than this. */
  max: number;
}

/**
 * evcam's one backoff policy: the ceiling doubles from `min` each attempt up to `max`
 * ("capped exponential"), and the delay is between half and all of it ("equal jitter"),
 * so restarted backends are not hit by every client at once yet never retried at once.
 * `attempt` is 1-based; seconds in, seconds out.
 */
export function backoffDelay(attempt: number, bounds: BackoffBounds, random: () => number = Math.random): number {
  const ceiling = Math.min(bounds.max, bounds.min * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return ceiling / 2 + random() * (ceiling / 2);
}

export interface RetryOptions extends Partial<BackoffBounds> {
  /** Retries after the first try (default: forever). */
  retries?: number;
  /** Stop waiting and retrying when this aborts (the promise rejects with its reason). */
  signal?: AbortSignal;
  /** After each failure, before the delay (log it here). Not called for AbortError. */
  onFailedAttempt?: (context: RetryContext & { delaySecs: number }) => void | Promise<void>;
  /** Return false to give up on this error at once. */
  shouldRetry?: (context: RetryContext) => boolean | Promise<boolean>;
  /** Delay override, e.g. shorter while closing (default: backoffDelay with min/max). */
  delay?: (attempt: number) => number;
}

/**
 * p-retry with evcam's policy: retry `fn` until it resolves, waiting backoffDelay()
 * between tries (defaults: 0.5 s doubling up to 30 s). Throw AbortError from `fn`
 * to stop at once.
 */
export function retry<T>(fn: (attempt: number) => T | Promise<T>, options: RetryOptions = {}): Promise<T> {
  const bounds = { min: options.min ?? 0.5, max: options.max ?? 30 };
  const delay = options.delay ?? ((attempt: number) => backoffDelay(attempt, bounds));
  return pRetry(fn, {
    retries: options.retries ?? Number.POSITIVE_INFINITY,
    // p-retry's own delay is off; ours (with equal jitter) runs in onFailedAttempt.
    minTimeout: 0,
    maxTimeout: 0,
    signal: options.signal,
    shouldRetry: options.shouldRetry,
    onFailedAttempt: async (context) => {
      const delaySecs = delay(context.attemptNumber);
      await options.onFailedAttempt?.({ ...context, delaySecs });
      if (context.retriesLeft > 0 && (options.shouldRetry === undefined || await options.shouldRetry(context))) {
        await sleep(delaySecs * 1000, undefined, { signal: options.signal }).catch(() => {});
      }
    },
  });
}

/**
 * The one polling helper for tests (the camera test kit re-exports it): resolves once `check` is truthy, rejects after
 * `timeoutMs` naming what was awaited. `check` may be async; its last error is kept.
 */
export async function waitUntil(
  check: () => unknown | Promise<unknown>,
  what: string,
  { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() - started > timeoutMs) {
      const why = lastError === undefined ? '' : ` (last error: ${(lastError as Error)?.message ?? String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
