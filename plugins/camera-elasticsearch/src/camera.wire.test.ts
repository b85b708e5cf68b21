import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { EvcamError } from '@evcam/camera-api';
import { EsDouble } from './testing/es-double.js';
import { fixtureSnapshot, makeCamera, snapshotOf, task, worker } from './testing/fakes.js';
import type { TaskSnapshot } from '@evcam/camera-api';

const ctx = () => ({ signal: new AbortController().signal, attempt: 1 });
const derived = ['@timestamp', 'snapshot_seq', 'snapshot_taken_at'];

function withoutDerived(doc: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return doc && Object.fromEntries(Object.entries(doc).filter(([k]) => !derived.includes(k)));
}

async function rejection(p: Promise<unknown>): Promise<EvcamError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(EvcamError.is(err), `expected an EvcamError, got ${err}`);
  return err;
}

describe('Elasticsearch camera over HTTP, against the ES double', () => {
  const es = new EsDouble();
  before(() => es.start());
  after(() => es.stop());
  beforeEach(() => {
    es.mode = 'up';
    es.compatibleWith = 8;
    es.expectAuthorization = undefined;
    es.itemFault = () => undefined;
  });
  const camera = (options: Record<string, unknown> = {}) => makeCamera({ node: es.url, ...options });

  it('asks for REST compatibility 8 by default, which 8.x and 9.x servers serve; compatibility 9 for 9.x only', async () => {
    const { camera: eight } = camera({ indexPrefix: 'compat8' });
    await eight.onInstall();
    await eight.onShutter(snapshotOf([task('c8')]), ctx());
    assert.deepEqual(es.violations, [], 'every request carried compatible-with=8');
    assert.ok(es.docs.get('compat8-tasks')?.get('c8'));
    es.compatibleWith = 9;
    const { camera: nine } = camera({ indexPrefix: 'compat9', compatibility: 9 });
    await nine.onInstall();
    await nine.onShutter(snapshotOf([task('c9')]), ctx());
    assert.deepEqual(es.violations, []);
    assert.ok(es.docs.get('compat9-tasks')?.get('c9'));
    es.compatibleWith = 8; // an 8.x server refuses what the v9 client sends by default
    await rejection(camera({ indexPrefix: 'compat9b', compatibility: 9 }).camera.onInstall());
    assert.ok((es.violations as string[]).some((v) => v.includes('compatible-with=9')), es.violations.join('\n'));
    es.violations.length = 0;
  });

  it('installs the templates over HTTP once; a restart writes nothing', async () => {
    await camera({ indexPrefix: 'idem' }).camera.onInstall();
    const puts = () => es.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/_index_template/idem-'));
    assert.deepEqual(puts().map((r) => r.path).sort(), ['/_index_template/idem-snapshots', '/_index_template/idem-tasks', '/_index_template/idem-workers']);
    await camera({ indexPrefix: 'idem' }).camera.onInstall();
    assert.equal(puts().length, 3);
    assert.deepEqual(es.violations, []);
  });

  it('stores every task of a full State as a document equal to the snapshot task, in strict NDJSON', async () => {
    const snapshot = fixtureSnapshot(); // 222 tasks of every state, 2 workers
    const { camera: c } = camera({ indexPrefix: 'full' });
    await c.onShutter(snapshot, ctx());
    for (const [uuid, t] of Object.entries(snapshot.tasks)) assert.deepEqual(withoutDerived(es.doc('full-tasks', uuid)), t, uuid);
    for (const [hostname, w] of Object.entries(snapshot.workers)) assert.equal(es.doc('full-workers', hostname)?.alive, w.alive);
    assert.equal(es.docs.get('full-snapshots')?.size, 1);
    assert.deepEqual(es.violations, []);
  });

  it('sends the apiKey / basic credentials as Authorization and never logs them, even when refused', async () => {
    es.expectAuthorization = 'ApiKey S3CRET-KEY';
    const ok = camera({ indexPrefix: 'auth', auth: { apiKey: 'S3CRET-KEY' } });
    await ok.camera.onInstall();
    await ok.camera.onShutter(snapshotOf([task('x')]), ctx());
    assert.ok(es.doc('auth-tasks', 'x'));

    const wrong = camera({ indexPrefix: 'auth', auth: { apiKey: 'WRONG-KEY' } });
    const err = await rejection(wrong.camera.onInstall());
    assert.equal(err.retryable, false);
    assert.match(err.message, /authentication failed/);

    es.expectAuthorization = `Basic ${Buffer.from('elastic:pa55word').toString('base64')}`;
    const basic = camera({ indexPrefix: 'auth', auth: { username: 'elastic', password: 'pa55word' } });
    await basic.camera.onInstall();
    const failing = camera({ indexPrefix: 'auth', auth: { username: 'elastic', password: 'n0tit' } });
    const shutterErr = await rejection(failing.camera.onShutter(snapshotOf([task('y')]), ctx()));
    assert.match(shutterErr.message, /authentication failed/);

    assert.match(ok.logger.text(), /"auth":\{"apiKey":"\[redacted\]"\}/, 'the options are logged, redacted');
    const everything = [ok, wrong, basic, failing].map((h) => h.logger.text()).join('') + err.message + shutterErr.message;
    assert.doesNotMatch(everything, /S3CRET|WRONG-KEY|pa55word|n0tit|cGE1NXdvcmQ|ZWxhc3RpYzpu/);
  });

  it('while ES answers 503, buffers changes merged newest-wins; after recovery the latest documents are stored', async () => {
    const { camera: c } = camera({ indexPrefix: 'outage' });
    es.mode = 'unavailable';
    const v1 = [task('a', { state: 'STARTED', succeeded: null }), task('b')];
    const err = await rejection(c.onShutter(snapshotOf(v1, [], 1), ctx()));
    assert.equal(err.retryable, true);
    assert.match(err.message, /documents stay buffered/);
    assert.equal(c.pendingDocs.size, 2);

    const v2 = [task('a', { state: 'SUCCESS', clock: 99 }), task('b'), task('c')];
    await rejection(c.onShutter(snapshotOf(v2, [], 2, { tasks: ['a', 'c'], workers: [] }), ctx()));
    assert.equal(c.pendingDocs.size, 3, 'one entry per id, not per shutter');
    assert.equal(c.pendingSummaries.size, 2);

    es.mode = 'up';
    await c.onShutter(snapshotOf(v2, [], 3, { tasks: [], workers: [] }), ctx());
    assert.deepEqual(withoutDerived(es.doc('outage-tasks', 'a')), v2[0], 'the newest state of a wins');
    assert.ok(es.doc('outage-tasks', 'b') && es.doc('outage-tasks', 'c'));
    assert.equal(es.docs.get('outage-snapshots')?.size, 3);
    assert.equal(c.writer.pending, 0);
  });

  it('bounds the buffer: past maxPending the least recently changed documents are dropped, counted and logged', async () => {
    const { camera: c, logger } = camera({ indexPrefix: 'bound', maxPending: 5 });
    es.mode = 'unavailable';
    const tasks: TaskSnapshot[] = [];
    for (let i = 0; i < 8; i++) {
      tasks.push(task(`t${i}`));
      await rejection(c.onShutter(snapshotOf(tasks, [], i + 1, { tasks: [`t${i}`], workers: [] }), ctx()));
    }
    assert.equal(c.pendingDocs.size, 5);
    assert.equal(c.pendingDocs.dropped, 3);
    assert.ok(logger.records.some((r) => r.level === 'error' && /pending buffer full/.test(r.msg ?? '')));
    es.mode = 'up';
    await c.onShutter(snapshotOf(tasks, [], 9, { tasks: [], workers: [] }), ctx());
    assert.deepEqual([...es.docs.get('bound-tasks')!.keys()].sort(), ['t3', 't4', 't5', 't6', 't7']);
  });

  it('when ES refuses connections onShutter fails fast, and recovers when it listens again on the same port', async () => {
    const { camera: c } = camera({ indexPrefix: 'refused' });
    await es.stop();
    try {
      const started = performance.now();
      await rejection(c.onShutter(snapshotOf([task('r1')]), ctx()));
      assert.ok(performance.now() - started < 2000);
    } finally {
      await es.start(es.port);
    }
    await c.onShutter(snapshotOf([task('r1'), task('r2')], [], 2, { tasks: ['r2'], workers: [] }), ctx());
    assert.ok(es.doc('refused-tasks', 'r1') && es.doc('refused-tasks', 'r2'));
  });

  it('a cluster that never answers cannot hang onShutter: requestTimeout and the abort signal end it', async () => {
    es.mode = 'hang';
    const timed = camera({ indexPrefix: 'hang', requestTimeout: 0.2 });
    let started = performance.now();
    await rejection(timed.camera.onShutter(snapshotOf([task('h')]), ctx()));
    assert.ok(performance.now() - started < 2000);

    const aborted = camera({ indexPrefix: 'hang' });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    started = performance.now();
    await rejection(aborted.camera.onShutter(snapshotOf([task('h')]), { signal: abort.signal, attempt: 1 }));
    assert.ok(performance.now() - started < 2000);
    assert.equal(aborted.camera.pendingDocs.size, 1);
  });

  it('driven by the kernel\'s shutter engine: a failed shutter is retried with backoff and stored once ES is back', async () => {
    const h = camera({ indexPrefix: 'polaroid' });
    await h.engine.install();
    es.mode = 'unavailable';
    h.host.setTask(task('p1', { state: 'STARTED' }));
    h.host.setWorker(worker('w1@lab'));
    h.engine.shutter();
    while (h.engine.health.failures === 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(h.engine.health.status, 'failing');
    h.host.setTask(task('p1', { state: 'SUCCESS' }));
    es.mode = 'up';
    h.engine.shutter();
    await h.engine.idle();
    assert.equal(h.engine.health.status, 'ok');
    assert.equal(es.doc('polaroid-tasks', 'p1')?.state, 'SUCCESS');
    assert.ok(es.doc('polaroid-workers', 'w1@lab'));
    await h.engine.cancel();
    assert.equal(h.engine.health.status, 'closed');
  });
});
