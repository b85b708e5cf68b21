import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { optionsSchema, redactOptions } from './options.js';
import { parseOptions } from './testing/fakes.js';

function issues(input: Record<string, unknown>): string {
  const result = optionsSchema['~standard'].validate(input) as { issues?: { message: string; path?: unknown[] }[] };
  assert.ok(result.issues, `expected ${JSON.stringify(input)} to be refused`);
  return result.issues.map((i) => `${(i.path ?? []).join('.')}: ${i.message}`).join('\n');
}

describe('options', () => {
  it('defaults: prefix evcam, no refresh, django-celery-monitor retention, 50k pending', () => {
    const o = parseOptions({ node: 'http://127.0.0.1:9200' });
    assert.equal(o.indexPrefix, 'evcam');
    assert.equal(o.refresh, false);
    assert.deepEqual(o.retention, { success: 86_400, error: 259_200, pending: 432_000, snapshots: 604_800 });
    assert.equal(o.maxPending, 50_000);
    assert.equal(o.requestTimeout, 10);
    assert.equal(o.installTemplates, true);
  });

  it('reads --camera-option strings as the S3 camera does (one shared parser): "90", "true", "5MiB"', () => {
    const o = parseOptions({ node: 'http://es:9200', requestTimeout: '90', installTemplates: 'false', flushBytes: '5MiB', maxPending: '10' });
    assert.equal(o.requestTimeout, 90);
    assert.equal(o.installTemplates, false);
    assert.equal(o.flushBytes, 5 * 1024 ** 2);
    assert.equal(o.maxPending, 10);
  });

  it('reads durations as seconds or <n>s/m/h/d', () => {
    const o = parseOptions({ node: 'http://es:9200', retention: { success: '12h', error: 60, pending: '2d' }, requestTimeout: '30s' });
    assert.deepEqual(o.retention, { success: 43_200, error: 60, pending: 172_800, snapshots: 604_800 });
    assert.equal(o.requestTimeout, 30);
  });

  it('an ILM policy replaces delete-by-query retention; retention: false turns it off', () => {
    assert.equal(parseOptions({ node: 'http://es:9200', ilmPolicy: 'celery-14d' }).retention, false);
    assert.equal(parseOptions({ node: 'http://es:9200', retention: false }).retention, false);
  });

  it('accepts cloud.id, nodes, and each auth shape', () => {
    const cloud = parseOptions({ cloud: { id: 'deploy:ZXUtd2VzdC0x' }, auth: { apiKey: 'k' } });
    assert.deepEqual([cloud.cloud, cloud.auth], [{ id: 'deploy:ZXUtd2VzdC0x' }, { apiKey: 'k' }]);
    const nodes = parseOptions({ nodes: ['https://a:9200', 'https://b:9200'], auth: { username: 'elastic', password: 'p' } });
    assert.deepEqual([nodes.nodes, nodes.auth], [['https://a:9200', 'https://b:9200'], { username: 'elastic', password: 'p' }]);
    const bearer = parseOptions({ node: 'https://a:9200', auth: { bearer: 't' }, caFingerprint: 'AA'.repeat(32) });
    assert.deepEqual([bearer.node, bearer.auth, bearer.caFingerprint], ['https://a:9200', { bearer: 't' }, 'AA'.repeat(32)]);
    const apiKey = parseOptions({ node: 'https://a:9200', auth: { apiKey: { id: 'i', api_key: 'k' } } });
    assert.deepEqual(apiKey.auth, { apiKey: { id: 'i', api_key: 'k' } });
  });

  it('refuses a missing or doubled target, saying what to set', () => {
    assert.match(issues({}), /exactly one of node, nodes or cloud\.id/);
    assert.match(issues({ node: 'http://a:9200', cloud: { id: 'x' } }), /exactly one of node, nodes or cloud\.id/);
    assert.match(issues({ node: 'es:9200' }), /node: must be an http:\/\/ or https:\/\/ URL/);
  });

  it('refuses bad prefixes, auth shapes, durations, unknown keys and retention + ilmPolicy', () => {
    assert.match(issues({ node: 'http://a:9200', indexPrefix: 'Evcam*' }), /indexPrefix: must be lowercase/);
    assert.match(issues({ node: 'http://a:9200', auth: {} }), /auth: auth must be one of \{ apiKey \}/);
    assert.match(issues({ node: 'http://a:9200', auth: { apiKey: 'k', password: 'p' } }), /auth: Unrecognized key: "password"/);
    assert.match(issues({ node: 'http://a:9200', retention: { success: '1 week' } }), /retention\.success: write a number of seconds/);
    assert.match(issues({ node: 'http://a:9200', nod: 'x' }), /Unrecognized key: "nod"/);
    assert.match(issues({ node: 'http://a:9200', ilmPolicy: 'p', retention: { success: 60 } }), /retention: .*exclusive/);
  });

  it('redactOptions hides api keys, passwords, bearer tokens and URL credentials', () => {
    const shown = JSON.stringify(redactOptions(parseOptions({
      nodes: ['https://elastic:hunter2@a:9200'], auth: { apiKey: { id: 'key-id', api_key: 'S3CRET' } },
    })));
    assert.doesNotMatch(shown, /hunter2|S3CRET/);
    assert.match(shown, /https:\/\/elastic:\[redacted\]@a:9200/);
    assert.doesNotMatch(JSON.stringify(redactOptions(parseOptions({ node: 'http://a:9200', auth: { bearer: 'TOKEN1' } }))), /TOKEN1/);
    assert.doesNotMatch(JSON.stringify(redactOptions(parseOptions({ node: 'http://a:9200', auth: { username: 'u', password: 'PW9' } }))), /PW9/);
  });
});
