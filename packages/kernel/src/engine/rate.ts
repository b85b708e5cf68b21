import { EvcamError, ErrorCodes, type Rate } from '@evcam/camera-api';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** Celery's `rate()`: tokens per second; null/empty/0 means no limit. */
export function parseRate(rate: Rate | null | undefined): number {
  if (rate === null || rate === undefined || rate === '') return 0;
  if (typeof rate === 'number') {
    if (!Number.isFinite(rate) || rate < 0) throw badRate(rate);
    return rate;
  }
  const [ops, unit = 's'] = rate.split('/');
  const perUnit = UNITS[unit.trim()];
  const n = Number(ops);
  if (perUnit === undefined || ops.trim() === '' || !Number.isFinite(n) || n < 0) throw badRate(rate);
  return n / perUnit;
}

function badRate(rate: unknown): EvcamError {
  return new EvcamError(ErrorCodes.CONFIG_INVALID,
    `maxrate ${JSON.stringify(rate)} is not a rate: write a number per second or "<n>/s", "<n>/m", "<n>/h" (e.g. "10/m").`);
}

/**
 * kombu's TokenBucket with capacity 1: starts full; refills fillRate tokens/s,
 * capped at 1; the refill clock only advances while the bucket is below capacity.
 */
export class TokenBucket {
  private tokens = 1;
  private lastRefill: number;

  constructor(private readonly fillRate: number, now: number) {
    this.lastRefill = now;
  }

  canConsume(now: number): boolean {
    if (this.tokens < 1) {
      this.tokens = Math.min(1, this.tokens + this.fillRate * (now - this.lastRefill));
      this.lastRefill = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}
