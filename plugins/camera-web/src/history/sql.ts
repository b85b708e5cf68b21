import { FTS_TABLE, ftsPhrase, likePattern, SEARCH_COLUMNS, tableNames, usesSearchIndex, type Dialect } from '@evcam/history-schema';
import type { TaskQuery } from '../task-query.js';

/** Placeholders and text matching of one dialect. */
export interface SqlDialect {
  name: Dialect;
  /** The n-th (1-based) parameter placeholder. */
  param(n: number): string;
  /** Case-insensitive LIKE. */
  like: string;
  /** SQLite: the FTS5 trigram table (schema version 3) exists and narrows text searches. */
  fts?: boolean;
}

export const SQLITE: SqlDialect = { name: 'sqlite', param: () => '?', like: 'LIKE' };
export const SQLITE_FTS: SqlDialect = { ...SQLITE, fts: true };
export const POSTGRES: SqlDialect = { name: 'postgres', param: (n) => `$${n}`, like: 'ILIKE' };

const quote = (column: string): string => `"${column}"`;

/**
 * The history's side of a Tasks page: the query's filters, cursor and order as one SELECT over
 * the SQL cameras' `tasks` table (the same order as the in-memory listing: value, nulls last, uuid).
 */
export function searchSql(d: SqlDialect, schema: string, q: TaskQuery, limit: number, probeRows?: number): { sql: string; params: unknown[] } {
  const t = tableNames(d.name, schema);
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown): string => { params.push(v); return d.param(params.length); };
  // SQLite: `+state` keeps the planner on the sort column's index (a state index would sort every match first).
  if (q.states !== null) where.push(`${d.name === 'sqlite' ? '+state' : 'state'} IN (${q.states.map((s) => p(s)).join(', ')})`);
  if (q.name !== null) where.push(`name = ${p(q.name)}`);
  if (q.worker !== null) where.push(`worker = ${p(q.worker)}`);
  if (q.queue !== null) where.push(`routing_key = ${p(q.queue)}`);
  if (q.since !== null) where.push(`"timestamp" >= ${p(q.since)}`);
  if (q.until !== null) where.push(`"timestamp" <= ${p(q.until)}`);
  // With probeRows, the text condition applies to the first probeRows rows of the other filters only (see SqliteHistory).
  const text = (): string[] => {
    if (q.q === null) return [];
    const pattern = likePattern(q.q);
    // One parameter per use: SQLite's `?` are positional.
    const out = [`(${SEARCH_COLUMNS.map((c) => `${c} ${d.like} ${p(pattern)} ESCAPE '\\'`).join(' OR ')})`];
    // The trigram index only narrows the rows (the LIKE above decides); PostgreSQL's pg_trgm serves ILIKE itself.
    if (probeRows === undefined && d.fts === true && usesSearchIndex(q.q)) out.push(`rowid IN (SELECT rowid FROM ${FTS_TABLE} WHERE ${FTS_TABLE} MATCH ${p(ftsPhrase(q.q))})`);
    return out;
  };
  if (probeRows === undefined) where.push(...text());
  const col = quote(q.sort);
  const dir = q.descending ? 'DESC' : 'ASC';
  if (q.cursor !== null) {
    const { v, uuid } = q.cursor;
    // After (v, uuid) in "value (nulls last), uuid": a later value, the same value and a later uuid, or null.
    if (v === null) where.push(`(${col} IS NULL AND uuid > ${p(uuid)})`);
    else where.push(`(${col} ${q.descending ? '<' : '>'} ${p(v)} OR (${col} = ${p(v)} AND uuid > ${p(uuid)}) OR ${col} IS NULL)`);
  }
  const order = `ORDER BY ${col} ${dir} NULLS LAST, uuid ASC`;
  const filtered = `SELECT * FROM ${t.tasks}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ${order}`;
  if (probeRows === undefined) return { sql: `${filtered} LIMIT ${p(limit)}`, params };
  const inner = `${filtered} LIMIT ${p(probeRows)}`;
  const outer = text();
  return { sql: `SELECT * FROM (${inner})${outer.length ? ` WHERE ${outer.join(' AND ')}` : ''} ${order} LIMIT ${p(limit)}`, params };
}
