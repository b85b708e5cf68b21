import { createRequire } from 'node:module';
import type ClientMock from '@elastic/elasticsearch-mock';
import type { MockPattern } from '@elastic/elasticsearch-mock';
import type { ClientOptions } from '../client.js';
import type { ItemFault } from './es-double.js';

// The mock requires the client's CJS build; errors must come from that build to be recognised.
const require = createRequire(import.meta.url);
const cjs = require('@elastic/elasticsearch') as typeof import('@elastic/elasticsearch');
const Mock = require('@elastic/elasticsearch-mock') as typeof ClientMock.default;
export const mockErrors = cjs.errors;

export function responseError(statusCode: number, type: string, reason = type): Error {
  return new mockErrors.ResponseError({
    body: { error: { type, reason }, status: statusCode }, statusCode, headers: {}, warnings: null,
    meta: {} as never,
  });
}

type Doc = Record<string, unknown>;

/** `@elastic/elasticsearch-mock` preloaded with the routes the camera uses, recording what it receives. */
export class MockEs {
  readonly mock = new Mock();
  readonly templates = new Map<string, Doc>();
  readonly templatePuts: string[] = [];
  /** Each _bulk request's operations (alternating action, source). */
  readonly bulks: Doc[][] = [];
  readonly deleteByQuery: { path: string; querystring: unknown; body: unknown }[] = [];
  readonly docs = new Map<string, Doc>();
  itemFault: (index: string, id: string, attempt: number) => ItemFault = () => undefined;
  private readonly attempts = new Map<string, number>();

  constructor(version = '9.1.0') {
    this.mock.add({ method: 'GET', path: '/' }, () => ({ name: 'mock', version: { number: version }, tagline: 'You Know, for Search' }));
    this.mock.add({ method: 'GET', path: '/_index_template/:name' }, (p: MockPattern) => {
      const name = String(p.path).split('/').pop()!;
      const t = this.templates.get(name);
      return t ? { index_templates: [{ name, index_template: t }] } : responseError(404, 'resource_not_found_exception') as never;
    });
    this.mock.add({ method: 'PUT', path: '/_index_template/:name' }, (p: MockPattern) => {
      const name = String(p.path).split('/').pop()!;
      this.templates.set(name, p.body as Doc);
      this.templatePuts.push(name);
      return { acknowledged: true };
    });
    this.mock.add({ method: 'POST', path: '/_bulk' }, (p: MockPattern) => this.bulk(p));
    this.mock.add({ method: 'POST', path: '/:index/_delete_by_query' }, (p: MockPattern) => {
      this.deleteByQuery.push({ path: String(p.path), querystring: p.querystring, body: p.body });
      return { task: 'mock:1' };
    });
  }

  /** The mock's Connection class (typed against the client's CJS build, hence the cast). */
  get connection(): NonNullable<ClientOptions['Connection']> {
    return this.mock.getConnection() as unknown as NonNullable<ClientOptions['Connection']>;
  }

  /** Replace a route's answer (e.g. with an error) for the rest of the test. */
  answer(method: string, path: string, resolver: () => unknown): void {
    this.mock.clear({ method, path });
    this.mock.add({ method, path }, resolver as never);
  }

  private bulk(p: MockPattern) {
    const ops = p.body as Doc[];
    this.bulks.push(ops);
    const items = [];
    for (let i = 0; i < ops.length; i += 2) {
      const { _index, _id } = (ops[i] as { index: { _index: string; _id: string } }).index;
      const key = `${_index}/${_id}`;
      const attempt = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, attempt);
      const fault = this.itemFault(_index, _id, attempt);
      if (fault) {
        items.push({ index: { _index, _id, status: fault.status, error: fault.error } });
      } else {
        this.docs.set(key, ops[i + 1]);
        items.push({ index: { _index, _id, status: 201, result: 'created' } });
      }
    }
    return { took: 1, errors: items.some((it) => 'error' in it.index), items };
  }
}
