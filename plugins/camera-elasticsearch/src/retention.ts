import type { estypes } from '@elastic/elasticsearch';
import type { IndexNames } from './mappings.js';
import type { RetentionOptions } from './options.js';

/** Finished with an error: kept longer than successes so someone can look at them. */
export const ERROR_STATES = ['FAILURE', 'REVOKED', 'REJECTED'];
const FINISHED_STATES = ['SUCCESS', ...ERROR_STATES];

export interface DeleteByQueryRequest {
  index: string;
  query: estypes.QueryDslQueryContainer;
}

/** `@timestamp` older than `now - seconds`. Absolute, from the kernel's clock (event time in a replay). */
function olderThan(now: number, seconds: number): estypes.QueryDslQueryContainer {
  return { range: { '@timestamp': { lt: new Date(Math.round((now - seconds) * 1000)).toISOString() } } };
}

/**
 * django-celery-monitor's expiry by state class, as two delete-by-query requests:
 * tasks (success / error / unfinished, any other state counts as unfinished) and
 * shutter summaries.
 */
export function retentionRequests(names: IndexNames, retention: RetentionOptions, now: number): DeleteByQueryRequest[] {
  const tasks: estypes.QueryDslQueryContainer = {
    bool: {
      minimum_should_match: 1,
      should: [
        { bool: { filter: [{ term: { state: 'SUCCESS' } }, olderThan(now, retention.success)] } },
        { bool: { filter: [{ terms: { state: ERROR_STATES } }, olderThan(now, retention.error)] } },
        { bool: { filter: [olderThan(now, retention.pending)], must_not: [{ terms: { state: FINISHED_STATES } }] } },
      ],
    },
  };
  return [
    { index: names.tasks, query: tasks },
    { index: names.snapshots, query: olderThan(now, retention.snapshots) },
  ];
}
