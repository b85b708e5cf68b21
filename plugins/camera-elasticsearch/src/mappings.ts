/**
 * The three index templates, with explicit mappings. Learned from Leek's template
 * (dynamic: false, one shard) and hardened against its poison-document problem:
 * every date and number field has ignore_malformed, so one odd value is skipped
 * from the index instead of rejecting the whole task document.
 */

/** Bump whenever a template body changes; installTemplates rewrites older versions. */
export const TEMPLATE_VERSION = 1;

export interface IndexNames {
  tasks: string;
  workers: string;
  snapshots: string;
}

export function indexNames(prefix: string): IndexNames {
  return { tasks: `${prefix}-tasks`, workers: `${prefix}-workers`, snapshots: `${prefix}-snapshots` };
}

// Celery sends epoch seconds as floats (1795514297.3146977). The epoch_second
// parser takes a fraction after the point (stored at millisecond resolution);
// _source keeps the exact double. The ISO form is accepted too.
const epochSeconds = { type: 'date', format: 'epoch_second||strict_date_optional_time', ignore_malformed: true } as const;
const isoDate = { type: 'date', format: 'strict_date_optional_time||epoch_second', ignore_malformed: true } as const;
const keyword = { type: 'keyword' } as const;
const long = { type: 'long', ignore_malformed: true } as const;
const double = { type: 'double', ignore_malformed: true } as const;
/** Python reprs: exact match/aggregation on short values, full-text search on any. */
const reprText = { type: 'keyword', ignore_above: 1024, fields: { text: { type: 'text' } } } as const;

export const TASK_PROPERTIES = {
  uuid: keyword, name: keyword, state: keyword, worker: keyword, hostname: keyword, client: keyword,
  exchange: keyword, routing_key: keyword,
  root: keyword, root_id: keyword, parent: keyword, parent_id: keyword, children: keyword,
  received: epochSeconds, sent: epochSeconds, started: epochSeconds, rejected: epochSeconds,
  succeeded: epochSeconds, failed: epochSeconds, retried: epochSeconds, revoked: epochSeconds,
  timestamp: epochSeconds,
  eta: isoDate, expires: isoDate,
  runtime: double, retries: long, clock: long,
  args: reprText, kwargs: reprText, result: reprText, exception: reprText,
  traceback: { type: 'text' },
  // Derived by evcam (see documents.ts).
  '@timestamp': { type: 'date' },
  snapshot_seq: long,
  snapshot_taken_at: epochSeconds,
} as const;

export const WORKER_PROPERTIES = {
  hostname: keyword, pid: long, freq: double, heartbeats: epochSeconds, clock: long,
  active: long, processed: long, loadavg: double,
  sw_ident: keyword, sw_ver: keyword, sw_sys: keyword,
  alive: { type: 'boolean' },
  '@timestamp': { type: 'date' },
  last_heartbeat: epochSeconds,
  snapshot_seq: long,
} as const;

const KNOWN_STATES = ['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED', 'RETRY'];

export const SNAPSHOT_PROPERTIES = {
  '@timestamp': { type: 'date' },
  seq: long, taken_at: epochSeconds, event_count: long, task_count: long,
  tasks_total: long, workers_total: long, workers_alive: long, changed_tasks: long, changed_workers: long,
  // Custom states (any string) are mapped as they appear; the object is small and bounded by the app's states.
  tasks_by_state: { type: 'object', dynamic: true, properties: Object.fromEntries(KNOWN_STATES.map((s) => [s, long])) },
} as const;

export interface IndexTemplate {
  name: string;
  index_patterns: string[];
  priority: number;
  version: number;
  _meta: Record<string, unknown>;
  template: { settings: Record<string, unknown>; mappings: Record<string, unknown> };
}

export function buildTemplates(prefix: string, ilmPolicy?: string): IndexTemplate[] {
  const names = indexNames(prefix);
  const make = (index: string, properties: object): IndexTemplate => ({
    name: index,
    // The trailing * lets users roll indices over (`<prefix>-tasks-000002`) under an alias.
    index_patterns: [`${index}*`],
    // Above the built-in templates (100) so ours win on an overlap.
    priority: 200,
    version: TEMPLATE_VERSION,
    _meta: { managed_by: 'evcam', description: 'evcam Elasticsearch camera; edits are overwritten when evcam upgrades the template' },
    template: {
      settings: {
        number_of_shards: 1,
        ...(ilmPolicy ? { 'index.lifecycle.name': ilmPolicy } : {}),
      },
      // dynamic: false, not strict: a field added by a later snapshot version is kept in
      // _source and simply not indexed, instead of turning every document into a rejection.
      mappings: { dynamic: false, properties },
    },
  });
  return [
    make(names.tasks, TASK_PROPERTIES),
    make(names.workers, WORKER_PROPERTIES),
    make(names.snapshots, SNAPSHOT_PROPERTIES),
  ];
}
