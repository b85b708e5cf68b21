import { duration } from '@evcam/options';
import { z } from 'zod';

/**
 * How long task rows are kept, per state, as django-celery-monitor did:
 * `{ SUCCESS: '1d', FAILURE: '7d', default: '3d' }` (durations: seconds or "7d").
 * A single duration applies to every state. States without a rule and no `default` are kept.
 */
export const retentionOption = z.union([
  duration.transform((seconds) => ({ default: seconds }) as Record<string, number>),
  z.record(z.string().min(1), duration),
], { error: 'must be a duration ("3d") or per state: { SUCCESS: "1d", FAILURE: "7d", default: "3d" }' });

export type Retention = Record<string, number>;

/** One DELETE pass: the states it covers (or every state not named elsewhere) and the cut-off. */
export interface RetentionRule {
  /** The named states; null means every state not named by another rule. */
  states: string[] | null;
  /** Rows whose last_changed is older than this (epoch seconds) go. */
  before: number;
}

export function retentionRules(retention: Retention | undefined, now: number): RetentionRule[] {
  if (retention === undefined) return [];
  const named = Object.keys(retention).filter((k) => k !== 'default');
  const rules: RetentionRule[] = named.map((state) => ({ states: [state], before: now - retention[state]! }));
  if (retention.default !== undefined) rules.push({ states: null, before: now - retention.default });
  return rules;
}

/** The longest retention (shutter rows older than this go too), or undefined when rows are kept forever. */
export function longestRetention(retention: Retention | undefined): number | undefined {
  if (retention === undefined || retention.default === undefined) return undefined;
  return Math.max(...Object.values(retention));
}
