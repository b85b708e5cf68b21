import { DEFAULT_PG_SCHEMA, tableNames } from './ddl.js';
import { FTS_TABLE } from './search.js';
import type { Dialect } from './text.js';

/**
 * The documented history queries, one SQL text per dialect with the same parameters
 * ($1… in `params` order on PostgreSQL, @name on SQLite) and the same result columns.
 * Each is served by an index of migration 2. `queryArgs` turns named values into what
 * either driver takes.
 */
export interface DocumentedQuery {
  id: QueryId;
  title: string;
  /** Parameters in order: `name: what to pass`. */
  params: readonly string[];
  sql: string;
}

/** The parameter names of a query, in order. */
export const paramNames = (query: DocumentedQuery): string[] => query.params.map((p) => p.split(':')[0]!.trim());

/** Named values as pg takes them (an array in `params` order) or as better-sqlite3 takes them (an object). */
export function queryArgs(dialect: Dialect, query: DocumentedQuery, values: Record<string, unknown>): unknown[] | Record<string, unknown> {
  const names = paramNames(query);
  for (const name of names) {
    if (!(name in values)) throw new TypeError(`query ${query.id} needs the parameter "${name}"`);
  }
  return dialect === 'postgres' ? names.map((n) => values[n]) : Object.fromEntries(names.map((n) => [n, values[n]]));
}

export type QueryId = 'failedLastHour' | 'p95RuntimeByName' | 'startedTooLong' | 'workerTasks' | 'taskFamily' | 'textSearch';


/** SQL for likePattern(text): the text with \\, % and _ escaped by \\, between two %. */
const likeOf = (text: string): string => `('%' || replace(replace(replace(${text}, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')`;
/** SQL for ftsPhrase(text): one FTS5 phrase, its double quotes doubled. */
const phraseOf = (text: string): string => `('"' || replace(${text}, '"', '""') || '"')`;

export function documentedQueries(dialect: Dialect, schema: string = DEFAULT_PG_SCHEMA): Record<QueryId, DocumentedQuery> {
  const t = tableNames(dialect, schema);
  const pg = dialect === 'postgres';
  // One placeholder per parameter name: $n is its position in `params`, @name on SQLite.
  const p = (n: number, name: string) => (pg ? `$${n}` : `@${name}`);
  const like = pg ? 'ILIKE' : 'LIKE';
  return {
    failedLastHour: {
      id: 'failedLastHour',
      title: 'Failed tasks of the last hour, by name',
      params: ['since: epoch seconds (now - 3600)'],
      sql: `SELECT name, count(*) AS failures, max(failed) AS last_failed
FROM ${t.tasks}
WHERE state = 'FAILURE' AND failed >= ${p(1, 'since')}
GROUP BY name
ORDER BY failures DESC, name`,
    },
    p95RuntimeByName: {
      id: 'p95RuntimeByName',
      title: 'p95 runtime per task name over a day (nearest rank)',
      params: ['since: epoch seconds (now - 86400)'],
      sql: pg
        ? `SELECT name, count(*) AS tasks, percentile_disc(0.95) WITHIN GROUP (ORDER BY runtime) AS p95_runtime
FROM ${t.tasks}
WHERE state = 'SUCCESS' AND succeeded >= ${p(1, 'since')} AND runtime IS NOT NULL
GROUP BY name
ORDER BY name`
        // SQLite has no percentile_disc: the same nearest rank, ceil(0.95 n), with window functions.
        // Both windows share one sort (by name, runtime): a separate PARTITION BY name for the
        // count costs a second temp B-tree (EXPLAIN QUERY PLAN), about a third of the query.
        : `WITH ranked AS (
  SELECT name, runtime,
         row_number() OVER w AS rn,
         count(*) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS n
  FROM ${t.tasks}
  WHERE state = 'SUCCESS' AND succeeded >= ${p(1, 'since')} AND runtime IS NOT NULL
  WINDOW w AS (PARTITION BY name ORDER BY runtime)
)
SELECT name, n AS tasks, runtime AS p95_runtime
FROM ranked
WHERE rn = (n * 95 + 99) / 100
ORDER BY name`,
    },
    startedTooLong: {
      id: 'startedTooLong',
      title: 'Tasks in STARTED for more than N minutes',
      params: ['startedBefore: epoch seconds (now - N * 60)'],
      sql: `SELECT uuid, name, worker, started, args, kwargs
FROM ${t.tasks}
WHERE state = 'STARTED' AND started < ${p(1, 'startedBefore')}
ORDER BY started, uuid`,
    },
    workerTasks: {
      id: 'workerTasks',
      title: "One worker's tasks, newest first",
      params: ['hostname: the worker (e.g. celery@host)', 'limit: rows'],
      sql: `SELECT uuid, name, state, "timestamp", runtime
FROM ${t.tasks}
WHERE worker = ${p(1, 'hostname')}
ORDER BY "timestamp" DESC, uuid DESC
LIMIT ${p(2, 'limit')}`,
    },
    taskFamily: {
      id: 'taskFamily',
      title: "A task's family: its root and every task under that root (build the tree with parent_id)",
      params: ['uuid: any task of the family'],
      sql: `WITH family AS (SELECT coalesce(root_id, uuid) AS root FROM ${t.tasks} WHERE uuid = ${p(1, 'uuid')})
SELECT uuid, name, state, root_id, parent_id, children, "timestamp"
FROM ${t.tasks}
WHERE uuid = (SELECT root FROM family) OR root_id = (SELECT root FROM family)
ORDER BY coalesce("timestamp", 0), uuid`,
    },
    textSearch: {
      id: 'textSearch',
      title: 'Text search in args/kwargs within a time window, newest first (case-insensitive substring; %, _ and \\ are literal)',
      params: ['since: epoch seconds (e.g. now - 86400; 0 searches everything)', 'text: the search text, as typed', 'limit: rows'],
      sql: `SELECT uuid, name, state, args, kwargs, "timestamp"
FROM ${t.tasks}
WHERE "timestamp" >= ${p(1, 'since')}
  AND (args ${like} ${likeOf(p(2, 'text'))} ESCAPE '\\' OR kwargs ${like} ${likeOf(p(2, 'text'))} ESCAPE '\\')${pg ? '' : `
  -- The trigram index narrows the rows (texts of 3+ characters); shorter texts scan every row.
  AND rowid IN (SELECT rowid FROM ${FTS_TABLE} WHERE ${FTS_TABLE} MATCH '{args kwargs} : ' || ${phraseOf(p(2, 'text'))}
                UNION ALL SELECT rowid FROM ${t.tasks} WHERE length(${p(2, 'text')}) < 3)`}
ORDER BY "timestamp" DESC, uuid
LIMIT ${p(3, 'limit')}`,
    },
  };
}
