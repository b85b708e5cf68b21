import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a test may make one bulk item answer instead of 201. */
export type ItemFault = { status: number; error: { type: string; reason: string } } | undefined;

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A test double for the parts of the Elasticsearch REST API the camera uses:
 * info, index templates, ILM policy lookup, _bulk (index ops only) and
 * _delete_by_query. Strict about the request format (content types, NDJSON line
 * pairs, trailing newline); anything else is answered 400 and recorded in
 * `violations`, which tests assert empty.
 */
export class EsDouble {
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  readonly templates = new Map<string, Record<string, unknown>>();
  readonly ilmPolicies = new Set<string>();
  /** index → _id → _source */
  readonly docs = new Map<string, Map<string, Record<string, unknown>>>();
  /** 'unavailable': every request gets 503; 'hang': requests are never answered. */
  mode: 'up' | 'unavailable' | 'hang' = 'up';
  /** The REST compatibility version the double insists on (an 8.x server only serves 7 and 8). */
  compatibleWith: 8 | 9 = 8;
  /** When set, only requests with exactly this Authorization header are served. */
  expectAuthorization?: string;
  itemFault: (index: string, id: string, source: Record<string, unknown>) => ItemFault = () => undefined;

  private server: Server = this.newServer();
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = this.newServer();
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Stop listening: connections are refused until start(port) again. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  doc(index: string, id: string): Record<string, unknown> | undefined {
    return this.docs.get(index)?.get(id);
  }

  bulkRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/_bulk');
  }

  private newServer(): Server {
    return createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => { body += chunk; });
      req.on('end', () => this.handle(req, body, res));
    });
  }

  private handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://double');
    const recorded = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body };
    this.requests.push(recorded);
    const reply = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      res.end(JSON.stringify(payload));
    };
    const fail = (status: number, type: string, reason: string): void => reply(status, { error: { type, reason }, status });
    const violation = (what: string): void => { this.violations.push(`${req.method} ${url.pathname}: ${what}`); fail(400, 'bad_request', what); };

    if (this.mode === 'hang') return;
    if (this.mode === 'unavailable') return fail(503, 'unavailable', 'the double is in outage mode');
    if (this.expectAuthorization !== undefined && req.headers.authorization !== this.expectAuthorization) {
      return fail(401, 'security_exception', 'missing authentication credentials');
    }
    if (!String(req.headers.accept).includes(`application/vnd.elasticsearch+json; compatible-with=${this.compatibleWith}`)) {
      return violation(`accept header ${req.headers.accept}`);
    }
    const route = `${req.method} ${url.pathname}`;
    let m: RegExpMatchArray | null;
    if (route === 'GET /') {
      return reply(200, { name: 'double', cluster_name: 'evcam-test', version: { number: '9.1.0' }, tagline: 'You Know, for Search' });
    }
    if ((m = route.match(/^GET \/_index_template\/([^/]+)$/))) {
      const template = this.templates.get(m[1]);
      return template ? reply(200, { index_templates: [{ name: m[1], index_template: template }] })
        : fail(404, 'resource_not_found_exception', `index template matching [${m[1]}] not found`);
    }
    if ((m = route.match(/^PUT \/_index_template\/([^/]+)$/))) {
      const parsed = this.json(req, body, violation);
      if (!parsed) return;
      if (!Array.isArray(parsed.index_patterns) || typeof parsed.template !== 'object') return violation('template without index_patterns/template');
      this.templates.set(m[1], parsed);
      return reply(200, { acknowledged: true });
    }
    if ((m = route.match(/^GET \/_ilm\/policy\/([^/]+)$/))) {
      return this.ilmPolicies.has(m[1]) ? reply(200, { [m[1]]: { version: 1, policy: { phases: {} } } })
        : fail(404, 'resource_not_found_exception', `Lifecycle policy not found: ${m[1]}`);
    }
    if ((m = route.match(/^POST \/([^/_][^/]*)\/_delete_by_query$/))) {
      if (!this.json(req, body, violation)) return;
      return reply(200, { task: 'double:1' });
    }
    if (route === 'POST /_bulk') return this.bulk(req, body, reply, violation);
    return violation('route not served by the double');
  }

  private json(req: IncomingMessage, body: string, violation: (what: string) => void): Record<string, unknown> | undefined {
    if (req.headers['content-type'] !== `application/vnd.elasticsearch+json; compatible-with=${this.compatibleWith}`) {
      violation(`content-type ${req.headers['content-type']}`);
      return undefined;
    }
    try {
      return JSON.parse(body) as Record<string, unknown>;
    } catch {
      violation('body is not JSON');
      return undefined;
    }
  }

  private bulk(req: IncomingMessage, body: string, reply: (s: number, p: unknown) => void, violation: (what: string) => void): void {
    if (req.headers['content-type'] !== `application/vnd.elasticsearch+x-ndjson; compatible-with=${this.compatibleWith}`) {
      return violation(`bulk content-type ${req.headers['content-type']}`);
    }
    if (!body.endsWith('\n')) return violation('bulk body must end with a newline');
    const lines = body.slice(0, -1).split('\n');
    if (lines.length % 2 !== 0) return violation(`odd number of NDJSON lines (${lines.length})`);
    const items: unknown[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      let action: { index?: { _index?: unknown; _id?: unknown } };
      let source: Record<string, unknown>;
      try {
        action = JSON.parse(lines[i]);
        source = JSON.parse(lines[i + 1]);
      } catch {
        return violation(`line ${i + 1} or ${i + 2} is not JSON`);
      }
      const op = action.index;
      if (Object.keys(action).length !== 1 || !op || typeof op._index !== 'string' || typeof op._id !== 'string') {
        return violation(`line ${i + 1}: expected {"index":{"_index","_id"}}, got ${lines[i]}`);
      }
      if (source === null || typeof source !== 'object' || Array.isArray(source)) return violation(`line ${i + 2}: source is not an object`);
      const fault = this.itemFault(op._index, op._id, source);
      if (fault) {
        items.push({ index: { _index: op._index, _id: op._id, status: fault.status, error: fault.error } });
        continue;
      }
      const index = this.docs.get(op._index) ?? new Map<string, Record<string, unknown>>();
      this.docs.set(op._index, index);
      const created = !index.has(op._id);
      index.set(op._id, source);
      items.push({ index: { _index: op._index, _id: op._id, status: created ? 201 : 200, result: created ? 'created' : 'updated' } });
    }
    const errors = items.some((it) => (it as { index: { error?: unknown } }).index.error !== undefined);
    reply(200, { took: 1, errors, items });
  }
}
