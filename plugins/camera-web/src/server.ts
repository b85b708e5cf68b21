import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger, TaskSnapshot } from '@evcam/camera-api';
import { Authenticator, TOKEN_COOKIE } from './auth.js';
import type { HistoryStore } from './history/store.js';
import { isLoopbackHost } from './options.js';
import type { StaticFile } from './static-files.js';
import type { TaskIndex } from './task-index.js';
import { compareKeys, pageOf, parseTaskQuery, QueryError, sortValue, encodeCursor, type TaskQuery } from './task-query.js';
import { statsView, taskRow, timeline, workersView, type TaskRowView } from './views.js';

export interface DashboardDeps {
  index: TaskIndex;
  history: HistoryStore | null;
  auth: Authenticator;
  files: Map<string, StaticFile>;
  logger: Logger;
  now: () => number;
  host: string;
  maxStreams: number;
  keepAliveSecs: number;
  logRequests: boolean;
}

/** No inline script or style, nothing from elsewhere, never framed. */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Pages of the single-page app: each serves index.html, the script routes on the path. */
const PAGES = /^\/(?:|workers|tasks|task\/[^/]+)$/;

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/** The dashboard's HTTP server: the pages, the JSON API and the live stream. Read-only: GET and HEAD only. */
export class Dashboard {
  readonly server: Server;
  private readonly streams = new Set<ServerResponse>();
  private keepAlive: NodeJS.Timeout | null = null;

  constructor(private readonly deps: DashboardDeps) {
    this.server = createServer((req, res) => { void this.handle(req, res); });
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  async listen(port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.deps.host, () => { this.server.off('error', reject); resolve(); });
    });
    this.keepAlive = setInterval(() => { for (const s of this.streams) s.write(': keep-alive\n\n'); }, this.deps.keepAliveSecs * 1000);
    this.keepAlive.unref();
    const { port: bound } = this.server.address() as AddressInfo;
    const host = this.deps.host.includes(':') ? `[${this.deps.host}]` : this.deps.host;
    return `http://${host}:${bound}/`;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Tell every open page a shutter was stored: each fetches what it shows. */
  broadcast(payload: { seq: number; takenAt: number; changed: number; removed: number }): void {
    if (this.streams.size === 0) return;
    const frame = `event: shutter\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const s of this.streams) s.write(frame);
  }

  async close(): Promise<void> {
    if (this.keepAlive) clearInterval(this.keepAlive);
    for (const s of this.streams) s.end();
    this.streams.clear();
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    try {
      if (this.deps.logRequests) this.deps.logger.debug({ method: req.method, url: req.url }, 'request');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        throw new HttpError(405, 'the dashboard is read-only: GET and HEAD only');
      }
      const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
      if (!this.hostAllowed(req)) throw new HttpError(421, 'unexpected Host header: open the dashboard by its loopback address');
      if (url.searchParams.has('token') && !url.pathname.startsWith('/api/')) return this.tokenLogin(url, res);
      if (!(await this.deps.auth.allows(req))) return this.unauthorized(res);
      await this.route(url, req, res);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : err instanceof QueryError ? 400 : 500;
      if (status === 500) this.deps.logger.error({ err, url: req.url }, 'dashboard request failed');
      if (!res.headersSent) this.json(res, status, { error: status === 500 ? 'internal error (see the kernel log)' : (err as Error).message });
      else res.end();
    }
  }

  /**
   * Loopback without auth: only loopback Host names, so a page elsewhere cannot reach the
   * dashboard through DNS rebinding.
   */
  private hostAllowed(req: IncomingMessage): boolean {
    if (this.deps.auth.enabled) return true;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    return isLoopbackHost(host);
  }

  /** `/?token=T` once: the token becomes an HttpOnly cookie and leaves the address bar. */
  private tokenLogin(url: URL, res: ServerResponse): void {
    const token = url.searchParams.get('token') ?? '';
    if (!this.deps.auth.tokenMatches(token)) return this.unauthorized(res);
    url.searchParams.delete('token');
    res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
    res.writeHead(303, { Location: url.pathname + url.search }).end();
  }

  private unauthorized(res: ServerResponse): void {
    res.setHeader('WWW-Authenticate', this.deps.auth.usesBasic ? 'Basic realm="evcam", charset="UTF-8"' : 'Bearer realm="evcam"');
    this.json(res, 401, { error: 'authentication required: basic auth (users), Authorization: Bearer <token>, or open /?token=<token>' });
  }

  private async route(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = url.pathname;
    const { index, now } = this.deps;
    if (path === '/api/stats') return this.json(res, 200, statsView(index, now(), this.deps.history !== null));
    if (path === '/api/workers') return this.json(res, 200, { now: now(), workers: workersView(index, now()) });
    if (path === '/api/tasks') return this.json(res, 200, await this.tasks(url.searchParams));
    if (path.startsWith('/api/tasks/')) return this.json(res, 200, await this.task(decodeURIComponent(path.slice('/api/tasks/'.length))));
    if (path === '/api/events') return this.stream(req, res);
    if (path.startsWith('/api/')) throw new HttpError(404, `no such API: ${path} (see /api/stats, /api/workers, /api/tasks, /api/tasks/:uuid, /api/events)`);
    const file = this.deps.files.get(PAGES.test(path) ? '/index.html' : path);
    if (file === undefined) throw new HttpError(404, `not found: ${path}`);
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, { ETag: file.etag }).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length, ETag: file.etag, 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  /** One page of tasks: the State's, merged with the history's when there is one (memory wins, it is newer). */
  private async tasks(params: URLSearchParams): Promise<{ tasks: TaskRowView[]; next: string | null; matchedInMemory: number; history: boolean }> {
    const query = parseTaskQuery(params, this.deps.now());
    const memory = pageOf(this.deps.index.tasks.values(), query);
    const history = this.deps.history;
    if (history === null) {
      return { tasks: memory.tasks.map((t) => taskRow(t, 'memory')), next: memory.next, matchedInMemory: memory.matched, history: false };
    }
    const older = await history.search(query, query.limit + 1);
    const merged = mergePages(memory.tasks, memory.next !== null, older, older.length > query.limit, query, this.deps.index.tasks);
    return { ...merged, matchedInMemory: memory.matched, history: true };
  }

  private async task(uuid: string) {
    const { index, history } = this.deps;
    let task: TaskSnapshot | null = index.tasks.get(uuid) ?? null;
    const source = task !== null ? 'memory' : 'history';
    if (task === null && history !== null) task = await history.get(uuid);
    if (task === null) {
      throw new HttpError(404, `task ${uuid} is not in memory${history === null ? ' (no history configured: set the history option)' : ' nor in the history'}`);
    }
    const childIds = new Set(task.children);
    if (history !== null) for (const id of await history.children(uuid, 200)) childIds.add(id);
    const linked = [task.root_id, task.parent_id, ...childIds].filter((id): id is string => id !== null);
    const related: Record<string, { name: string | null; state: string; source: 'memory' | 'history' } | null> = {};
    const missing: string[] = [];
    for (const id of linked) {
      const t = id === uuid ? task : index.tasks.get(id); // a retried task is its own parent
      if (t !== undefined) related[id] = { name: t.name, state: t.state, source: 'memory' };
      else missing.push(id);
    }
    const found = history !== null && missing.length > 0 ? await history.summaries(missing) : new Map();
    for (const id of missing) related[id] = found.has(id) ? { ...found.get(id)!, source: 'history' } : null;
    return { task: { ...task, children: [...childIds].sort() }, source, timeline: timeline(task), related };
  }

  private stream(req: IncomingMessage, res: ServerResponse): void {
    if (this.streams.size >= this.deps.maxStreams) throw new HttpError(503, `too many live pages open (maxStreams ${this.deps.maxStreams})`);
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ seq: this.deps.index.seq })}\n\n`);
    this.streams.add(res);
    req.on('close', () => this.streams.delete(res));
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
    res.end(text);
  }
}

/**
 * The first `limit` of two ordered pages (memory's and history's, each with `more` when its
 * source has rows past it), each uuid once, memory's copy first. The next page resumes after
 * the last row shown, in both sources, so nothing is skipped.
 */
export function mergePages(memory: TaskSnapshot[], memoryMore: boolean, older: TaskSnapshot[], olderMore: boolean, q: TaskQuery,
  inMemory: Map<string, TaskSnapshot>): { tasks: TaskRowView[]; next: string | null } {
  const rows: { key: { v: number | string | null; uuid: string }; task: TaskSnapshot; source: 'memory' | 'history' }[] = [];
  for (const t of memory) rows.push({ key: { v: sortValue(t, q.sort), uuid: t.uuid }, task: t, source: 'memory' });
  // A task still in memory is listed from memory (or not at all when its newer copy no longer matches).
  for (const t of older) if (!inMemory.has(t.uuid)) rows.push({ key: { v: sortValue(t, q.sort), uuid: t.uuid }, task: t, source: 'history' });
  rows.sort((a, b) => compareKeys(a.key, b.key, q.descending));
  const page = rows.slice(0, q.limit);
  const more = rows.length > q.limit || memoryMore || olderMore;
  // Every history row was a task in memory (listed, or not matching, there): resume after the last one read.
  const last = page.length > 0 ? page[page.length - 1].key : older.length > 0 ? { v: sortValue(older[older.length - 1], q.sort), uuid: older[older.length - 1].uuid } : null;
  return { tasks: page.map((r) => taskRow(r.task, r.source)), next: more && last !== null ? encodeCursor(last) : null };
}
