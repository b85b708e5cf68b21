import type { TaskSnapshot } from '@evcam/camera-api';
import { parseDuration } from '@evcam/options';

/** The Tasks page's filters, sort and page, as parsed from `/api/tasks?...`. */
export interface TaskQuery {
  states: string[] | null;
  name: string | null;
  worker: string | null;
  /** Celery's queue: the task's routing_key. */
  queue: string | null;
  /** Case-insensitive text searched in uuid, args, kwargs, result and exception. */
  q: string | null;
  /** Window on the task's last event time (`timestamp`), epoch seconds. */
  since: number | null;
  until: number | null;
  sort: SortField;
  descending: boolean;
  limit: number;
  cursor: Cursor | null;
}

export const SORT_FIELDS = ['timestamp', 'received', 'sent', 'started', 'succeeded', 'failed', 'runtime', 'name', 'state', 'worker'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export const TEXT_FIELDS = ['uuid', 'args', 'kwargs', 'result', 'exception'] as const;
export const MAX_LIMIT = 500;

/** Position after which the next page starts: the last row's sort value and uuid. */
export interface Cursor { v: number | string | null; uuid: string }

export class QueryError extends Error {}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.v, c.uuid]), 'utf8').toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  try {
    const [v, uuid] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as [unknown, unknown];
    if ((v === null || typeof v === 'number' || typeof v === 'string') && typeof uuid === 'string') return { v, uuid };
  } catch { /* fall through */ }
  throw new QueryError('cursor is not one this server wrote: start again without it');
}

/** `since=15m` (the last 15 minutes), `since=1735689600` (epoch seconds) or an ISO date. */
function parseTime(raw: string, now: number, name: string): number {
  if (/^\d{9,}(\.\d+)?$/.test(raw)) return Number(raw);
  const ago = parseDuration(raw);
  if (ago !== undefined) return now - ago;
  const ms = Date.parse(raw);
  if (Number.isFinite(ms)) return ms / 1000;
  throw new QueryError(`${name} must be epoch seconds, an ISO date or a duration ago such as 15m, 2h, 7d; got "${raw}"`);
}

const text = (p: URLSearchParams, key: string): string | null => {
  const v = p.get(key);
  return v === null || v.trim() === '' ? null : v.trim();
};

export function parseTaskQuery(p: URLSearchParams, now: number): TaskQuery {
  const sortRaw = text(p, 'sort') ?? '-timestamp';
  const descending = sortRaw.startsWith('-');
  const sort = (descending ? sortRaw.slice(1) : sortRaw) as SortField;
  if (!SORT_FIELDS.includes(sort)) throw new QueryError(`sort must be one of ${SORT_FIELDS.join(', ')} (prefix "-" for descending); got "${sortRaw}"`);
  const limitRaw = text(p, 'limit');
  const limit = limitRaw === null ? 50 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new QueryError(`limit must be a whole number from 1 to ${MAX_LIMIT}; got "${limitRaw}"`);
  const states = text(p, 'state');
  const since = text(p, 'since');
  const until = text(p, 'until');
  const q = text(p, 'q');
  if (q !== null && q.length > 500) throw new QueryError('q is limited to 500 characters');
  const cursor = text(p, 'cursor');
  return {
    states: states === null ? null : states.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean),
    name: text(p, 'name'),
    worker: text(p, 'worker'),
    queue: text(p, 'queue'),
    q,
    since: since === null ? null : parseTime(since, now, 'since'),
    until: until === null ? null : parseTime(until, now, 'until'),
    sort,
    descending,
    limit,
    cursor: cursor === null ? null : decodeCursor(cursor),
  };
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A predicate for the query's filters (not the cursor), built once per request. */
export function taskFilter(q: TaskQuery): (t: TaskSnapshot) => boolean {
  const states = q.states === null ? null : new Set(q.states);
  const re = q.q === null ? null : new RegExp(escapeRegExp(q.q), 'i');
  return (t) => {
    if (states !== null && !states.has(t.state)) return false;
    if (q.name !== null && t.name !== q.name) return false;
    if (q.worker !== null && t.worker !== q.worker) return false;
    if (q.queue !== null && t.routing_key !== q.queue) return false;
    if (q.since !== null && (t.timestamp === null || t.timestamp < q.since)) return false;
    if (q.until !== null && (t.timestamp === null || t.timestamp > q.until)) return false;
    if (re !== null) {
      for (const field of TEXT_FIELDS) {
        const v = t[field];
        if (v !== null && re.test(v)) return true;
      }
      return false;
    }
    return true;
  };
}

export const sortValue = (t: TaskSnapshot, field: SortField): number | string | null => t[field] ?? null;

/**
 * The total order of a listing: by the sort value (nulls last either way), then uuid.
 * Negative when `a` comes before `b`.
 */
export function compareKeys(a: Cursor, b: Cursor, descending: boolean): number {
  if (a.v !== b.v) {
    if (a.v === null) return 1;
    if (b.v === null) return -1;
    const c = a.v < b.v ? -1 : 1;
    return descending ? -c : c;
  }
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}

/** One page of `tasks` (any iterable of candidates) for the query, and the cursor of the next page. */
export function pageOf(tasks: Iterable<TaskSnapshot>, q: TaskQuery): { tasks: TaskSnapshot[]; matched: number; next: string | null } {
  const keep = taskFilter(q);
  const rows: { key: Cursor; task: TaskSnapshot }[] = [];
  let matched = 0;
  for (const t of tasks) {
    if (!keep(t)) continue;
    matched++;
    const key = { v: sortValue(t, q.sort), uuid: t.uuid };
    if (q.cursor !== null && compareKeys(key, q.cursor, q.descending) <= 0) continue;
    rows.push({ key, task: t });
  }
  rows.sort((a, b) => compareKeys(a.key, b.key, q.descending));
  const page = rows.slice(0, q.limit);
  const next = rows.length > q.limit ? encodeCursor(page[page.length - 1].key) : null;
  return { tasks: page.map((r) => r.task), matched, next };
}
