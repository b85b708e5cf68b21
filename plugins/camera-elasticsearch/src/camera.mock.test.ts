import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, EvcamError } from '@evcam/camera-api';
import { MockEs, mockErrors, responseError } from './testing/mock-es.js';
import { makeCamera, snapshotOf, task, worker } from './testing/fakes.js';

const NODE = { node: 'http://es.test:9200' };
const shutterCtx = { signal: new AbortController().signal, attempt: 1 };

function cameraOn(es: MockEs, options: Record<string, unknown> = {}) {
  return makeCamera({ ...NODE, ...options }, { Connection: es.connection });
}

async function startError(es: MockEs, options: Record<string, unknown> = {}): Promise<EvcamError> {
  const { camera } = cameraOn(es, options);
  const err = await camera.onInstall().then(() => undefined, (e: unknown) => e);
  assert.ok(EvcamError.is(err), `expected an EvcamError, got ${err}`);
  assert.equal(err.code, ErrorCodes.CAMERA_START);
  return err;
}

describe('Elasticsearch camera against @elastic/elasticsearch-mock', () => {
  it('installs the three templates with explicit mappings, and only once', async () => {
    const es = new MockEs();
    await cameraOn(es).camera.onInstall();
    assert.deepEqual(es.templatePuts.sort(), ['evcam-snapshots', 'evcam-tasks', 'evcam-workers']);
    const tasks = es.templates.get('evcam-tasks') as { index_patterns: string[]; template: { mappings: { dynamic: boolean; properties: Record<string, { type: string; format?: string }> } } };
    assert.deepEqual(tasks.index_patterns, ['evcam-tasks*']);
    const { dynamic, properties } = tasks.template.mappings;
    assert.equal(dynamic, false);
    for (const f of ['uuid', 'name', 'state', 'worker', 'hostname', 'exchange', 'routing_key', 'root_id', 'parent_id']) assert.equal(properties[f].type, 'keyword', f);
    for (const f of ['received', 'sent', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected', 'timestamp']) {
      assert.equal(properties[f].type, 'date', f);
      assert.match(properties[f].format!, /^epoch_second/, f);
    }
    assert.deepEqual([properties.runtime.type, properties.retries.type, properties.clock.type], ['double', 'long', 'long']);
    assert.equal(properties.traceback.type, 'text');

    await cameraOn(es).camera.onInstall();
    assert.equal(es.templatePuts.length, 3, 'a restart must not rewrite up-to-date templates');

    (es.templates.get('evcam-workers') as { version: number }).version = 0;
    await cameraOn(es).camera.onInstall();
    assert.deepEqual(es.templatePuts.slice(3), ['evcam-workers'], 'an older version is replaced');
  });

  it('refuses to start with a non-retryable error on bad credentials, a retryable one when unreachable', async () => {
    const denied = new MockEs();
    denied.answer('GET', '/', () => responseError(401, 'security_exception', 'missing authentication credentials'));
    const auth = await startError(denied);
    assert.equal(auth.retryable, false);
    assert.match(auth.message, /authentication failed: check auth \(apiKey, username\/password or bearer\)/);

    const down = new MockEs();
    down.answer('GET', '/', () => new mockErrors.ConnectionError('connect ECONNREFUSED 127.0.0.1:9200'));
    const unreachable = await startError(down);
    assert.equal(unreachable.retryable, true);
    assert.match(unreachable.message, /at http:\/\/es\.test:9200: Elasticsearch is unreachable/);

    assert.match((await startError(new MockEs('7.17.0'))).message, /Elasticsearch 7\.17\.0 .* is not supported: use an 8\.x or 9\.x cluster/);

    const noPolicy = new MockEs();
    noPolicy.mock.add({ method: 'GET', path: '/_ilm/policy/:name' }, () => responseError(404, 'resource_not_found_exception') as never);
    const ilm = await startError(noPolicy, { ilmPolicy: 'celery-14d' });
    assert.equal(ilm.retryable, false);
    assert.match(ilm.message, /ILM policy "celery-14d" does not exist/);
  });

  it('indexes only the changed tasks and workers, plus one summary per shutter', async () => {
    const es = new MockEs();
    const { camera } = cameraOn(es);
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((id) => task(id));
    await camera.onShutter(snapshotOf(tasks, [worker('w1@lab')], 1, { tasks: ['b', 'd'], workers: ['w1@lab'] }), shutterCtx);
    const actions = es.bulks[0].filter((_, i) => i % 2 === 0).map((a) => (a as { index: { _index: string; _id: string } }).index);
    assert.deepEqual(actions.map((a) => `${a._index}/${a._id}`),
      ['evcam-tasks/b', 'evcam-tasks/d', 'evcam-workers/w1@lab', `evcam-snapshots/${Math.round((1795514300 + 1) * 1000)}-1`]);
    const { '@timestamp': _at, snapshot_seq: _seq, snapshot_taken_at: _taken, ...b } = es.docs.get('evcam-tasks/b')!;
    assert.deepEqual(b, tasks[1]);

    await camera.onShutter(snapshotOf(tasks, [worker('w1@lab')], 2, { tasks: [], workers: [] }), shutterCtx);
    assert.equal(es.bulks[1].length, 2, 'nothing changed: only the summary');
  });

  it('rewrites a worker whose liveness expired although no event changed it', async () => {
    const es = new MockEs();
    const { camera } = cameraOn(es);
    await camera.onShutter(snapshotOf([], [worker('w1@lab')], 1), shutterCtx);
    await camera.onShutter(snapshotOf([], [worker('w1@lab', { alive: false })], 2, { tasks: [], workers: [] }), shutterCtx);
    assert.equal(es.docs.get('evcam-workers/w1@lab')!.alive, false);
  });

  it('splits a bulk by size, sending every document exactly once', async () => {
    const es = new MockEs();
    const { camera } = cameraOn(es, { flushBytes: 4096 });
    const tasks = Array.from({ length: 40 }, (_, i) => task(`t${i}`));
    await camera.onShutter(snapshotOf(tasks), shutterCtx);
    assert.ok(es.bulks.length >= 5, `expected several requests, got ${es.bulks.length}`);
    for (const ops of es.bulks) assert.ok(Buffer.byteLength(ops.map((o) => JSON.stringify(o) + '\n').join('')) <= 4096);
    const ids = es.bulks.flatMap((ops) => ops.filter((_, i) => i % 2 === 0).map((a) => (a as { index: { _id: string } }).index._id));
    assert.equal(ids.filter((id) => id.startsWith('t')).length, 40);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('reads a partial failure item by item: retries the 429, logs and counts the mapping error, stores the rest', async () => {
    const es = new MockEs();
    es.itemFault = (_index, id, attempt) => {
      if (id === 'poison') return { status: 400, error: { type: 'document_parsing_exception', reason: "[1:42] failed to parse field [runtime] of type [double]" } };
      if (id === 'busy' && attempt === 1) return { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution' } };
      return undefined;
    };
    const { camera, logger } = cameraOn(es);
    await camera.onShutter(snapshotOf([task('ok1'), task('poison'), task('busy'), task('ok2')]), shutterCtx);
    assert.ok(es.docs.has('evcam-tasks/busy'), 'the 429 item is retried and stored');
    assert.ok(es.docs.has('evcam-tasks/ok1') && es.docs.has('evcam-tasks/ok2'));
    assert.ok(!es.docs.has('evcam-tasks/poison'));
    assert.equal(camera.writer.totals.rejected, 1);
    assert.equal(camera.writer.pending, 0, 'the poison document does not stay in the buffer');
    const retry = es.bulks[1].filter((_, i) => i % 2 === 0).map((a) => (a as { index: { _id: string } }).index._id);
    assert.deepEqual(retry, ['busy'], 'only the 429 item is sent again');
    const logged = logger.records.find((r) => r.level === 'error');
    assert.deepEqual(logged?.obj, { index: 'evcam-tasks', id: 'poison', status: 400, type: 'document_parsing_exception',
      reason: '[1:42] failed to parse field [runtime] of type [double]' });
  });

  it('keeps 429 items buffered and fails the shutter (retryable) when throttling outlasts the retries', async () => {
    const es = new MockEs();
    es.itemFault = (_i, id) => (id === 'busy' ? { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'busy' } } : undefined);
    const { camera } = cameraOn(es, { itemRetries: 1, itemRetryMaxDelay: 0.01 });
    const err = await camera.onShutter(snapshotOf([task('busy'), task('ok')]), shutterCtx).then(() => undefined, (e: unknown) => e);
    assert.ok(EvcamError.is(err) && err.retryable && /429\/5xx for 1 documents/.test(err.message), String(err));
    assert.equal(camera.writer.pending, 1);
    assert.ok(es.docs.has('evcam-tasks/ok'));
  });

  it('retention: one delete-by-query per index, by state class, from the kernel clock, in the background', async () => {
    const es = new MockEs();
    const { camera, host } = cameraOn(es, { retention: { success: '1d', error: '3d', pending: '5d', snapshots: '7d' } });
    host.now = 1_795_600_000;
    await camera.onCleanup();
    const iso = (secs: number) => new Date((host.now - secs) * 1000).toISOString();
    assert.deepEqual(es.deleteByQuery, [
      {
        path: '/evcam-tasks/_delete_by_query',
        querystring: { conflicts: 'proceed', wait_for_completion: 'false', ignore_unavailable: 'true', allow_no_indices: 'true' },
        body: { query: { bool: { minimum_should_match: 1, should: [
          { bool: { filter: [{ term: { state: 'SUCCESS' } }, { range: { '@timestamp': { lt: iso(86_400) } } }] } },
          { bool: { filter: [{ terms: { state: ['FAILURE', 'REVOKED', 'REJECTED'] } }, { range: { '@timestamp': { lt: iso(3 * 86_400) } } }] } },
          { bool: { filter: [{ range: { '@timestamp': { lt: iso(5 * 86_400) } } }], must_not: [{ terms: { state: ['SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED'] } }] } },
        ] } } },
      },
      {
        path: '/evcam-snapshots/_delete_by_query',
        querystring: { conflicts: 'proceed', wait_for_completion: 'false', ignore_unavailable: 'true', allow_no_indices: 'true' },
        body: { query: { range: { '@timestamp': { lt: iso(7 * 86_400) } } } },
      },
    ]);
  });

  it('retention is left to ILM when ilmPolicy is set (the policy name goes into the templates)', async () => {
    const es = new MockEs();
    es.mock.add({ method: 'GET', path: '/_ilm/policy/:name' }, () => ({ 'celery-14d': { policy: {} } }));
    const { camera } = cameraOn(es, { ilmPolicy: 'celery-14d' });
    await camera.onInstall();
    await camera.onCleanup();
    assert.equal(es.deleteByQuery.length, 0);
    const settings = (es.templates.get('evcam-tasks') as { template: { settings: Record<string, unknown> } }).template.settings;
    assert.equal(settings['index.lifecycle.name'], 'celery-14d');
  });
});
