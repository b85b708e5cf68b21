// Secrets and files: no log line, at trace level, carries the broker password, the S3 secret or the
// Elasticsearch API key; the pidfile refuses a second instance; event content cannot steer the
// file camera outside its directory.
import assert from 'node:assert/strict';
import { waitUntil } from '@evcam/camera-testkit';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runKernel, startKernel, type KernelRun } from './helpers/kernel-process.js';
import { createVhost, declareCeleryev, publishCaptured, RABBIT_HOST, type CapturedMessage } from './helpers/rabbit.js';
import { captured, freePort, readLatest, waitForHttp } from './helpers/reliability.js';

const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;

/** Every file under dir, relative to it. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    (e.isDirectory() ? walk(join(dir, e.name), base) : [relative(base, join(dir, e.name))]));
}

describe('secrets and files', () => {
  let vhost: ReturnType<typeof createVhost>;
  const user = `evcam-secret-${randomBytes(4).toString('hex')}`;
  const brokerPassword = secret('brokerpw');
  const running: KernelRun[] = [];
  before(async () => {
    vhost = createVhost('evcam-secrets');
    execFileSync('rabbitmqctl', ['-q', 'add_user', user, brokerPassword], { stdio: 'ignore' });
    execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost.vhost, user, '.*', '.*', '.*'], { stdio: 'ignore' });
    await declareCeleryev(vhost.url);
  });
  after(async () => {
    for (const run of running) await run.stop('SIGKILL');
    try { execFileSync('rabbitmqctl', ['-q', 'delete_user', user], { stdio: 'ignore' }); } catch { /* gone */ }
    vhost.remove();
  });

  test('at trace level, no log line carries the broker password, the S3 secret or the Elasticsearch API key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-secrets-'));
    const s3Secret = secret('s3secret');
    const esApiKey = secret('esapikey');
    const secrets = [brokerPassword, s3Secret, esApiKey, Buffer.from(esApiKey).toString('base64'), encodeURIComponent(brokerPassword)];
    const broker = `amqp://${user}:${brokerPassword}@${RABBIT_HOST}/${encodeURIComponent(vhost.vhost)}`;
    const port = await freePort();
    const config = join(dir, 'evcam.config.json');
    // The S3 and Elasticsearch backends are down: their errors and retries are logged, which is where secrets tend to leak.
    writeFileSync(config, JSON.stringify({
      broker, freq: 0.2, http: { port }, cameraStartPolicy: 'retry', maxBackoff: 1,
      cameras: [
        { use: 'file', options: { dir: join(dir, 'snapshots') } },
        { use: 's3', options: { bucket: 'evcam-test', endpoint: 'http://127.0.0.1:1', region: 'us-east-1', forcePathStyle: true,
          accessKeyId: 'AKIAEVCAMTEST', secretAccessKey: s3Secret, spoolDir: join(dir, 'spool'), requestTimeout: 1 } },
        { use: 'elasticsearch', options: { node: 'http://127.0.0.1:1', auth: { apiKey: esApiKey }, requestTimeout: 1 } },
      ],
    }));
    const run = startKernel(['--config', config, '-l', 'trace', '--checkpoint', join(dir, 'cp.json')]);
    running.push(run);
    await waitForHttp(run, port);
    await publishCaptured(vhost.url, captured().slice(0, 200));
    await waitUntil(async () => ((await readLatest(join(dir, 'snapshots', 'latest.json')))?.event_count ?? 0) > 0, 'a stored shutter', { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 2500)); // a few failed attempts and retries of both backends
    await fetch(`http://127.0.0.1:${port}/healthz`);
    await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(await run.stop('SIGTERM'), 0, run.stderr().slice(-3000));
    const logs = run.stderr() + run.stdout();
    assert.ok(logs.split('\n').length > 20, 'trace logging produced lines');
    assert.ok(/"level":10/.test(logs), 'trace lines were written');
    for (const s of secrets) assert.equal(logs.includes(s), false, `a log line contains a secret (${s.slice(0, 8)}...)`);

    // A refused password is reported without itself.
    const wrong = secret('wrongpw');
    const refused = await runKernel(['-b', `amqp://${user}:${wrong}@${RABBIT_HOST}/${encodeURIComponent(vhost.vhost)}`, '-l', 'trace',
      '--camera', 'file', '--camera-option', `dir=${join(dir, 'other')}`], { timeoutMs: 30_000 });
    assert.equal(refused.code, 69, refused.stderr);
    assert.match(refused.stderr, /EVCAM_ERR_BROKER_CONNECT/);
    assert.equal((refused.stderr + refused.stdout).includes(wrong), false, 'the refused password is not logged');
  });

  test('the pidfile refuses a second instance (exit 73) and is released on exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-pid-'));
    const pidfile = join(dir, 'evcam.pid');
    const args = ['-b', vhost.url, '--pidfile', pidfile, '--camera', 'file', '--camera-option', `dir=${join(dir, 's')}`];
    const first = startKernel(args);
    running.push(first);
    await first.waitFor('consuming Celery events');
    assert.equal(readFileSync(pidfile, 'utf8').trim(), String(first.child.pid));
    const second = await runKernel(args, { timeoutMs: 30_000 });
    assert.equal(second.code, 73, second.stderr);
    assert.match(second.stderr, /EVCAM_ERR_PIDFILE: pidfile .* already exists\. Seems we're already running\? \(pid: \d+\)/);
    assert.equal(await first.stop('SIGTERM'), 0);
    assert.equal(existsSync(pidfile), false);
  });

  test('task names and hostnames with ../ cannot make the file camera write outside its directory', async () => {
    const root = mkdtempSync(join(tmpdir(), 'evcam-paths-'));
    const dir = join(root, 'a', 'b', 'snapshots');
    mkdirSync(dir, { recursive: true });
    const run = startKernel(['-b', vhost.url, '--camera', 'file', '--camera-option', `dir=${dir}`, '-F', '0.2']);
    running.push(run);
    await run.waitFor('consuming Celery events');
    const now = Date.now() / 1000;
    const nasty = ['../../../evil', '../../escape.json', '/tmp/evcam-abs-evil', '..\\..\\win', 'latest.json/../../x', '%2e%2e%2fenc'];
    const messages: CapturedMessage[] = nasty.flatMap((name, i) => [
      { routing_key: 'task.received', properties: { content_type: 'application/json', content_encoding: 'utf-8' },
        body: JSON.stringify({ type: 'task-received', uuid: `../../uuid-${i}`, name, hostname: name, timestamp: now, clock: i + 1, args: '()', kwargs: '{}' }) },
      { routing_key: 'worker.heartbeat', properties: { content_type: 'application/json', content_encoding: 'utf-8' },
        body: JSON.stringify({ type: 'worker-heartbeat', hostname: name, timestamp: now, freq: 2, clock: 100 + i }) },
    ]);
    await publishCaptured(vhost.url, messages);
    await waitUntil(async () => ((await readLatest(join(dir, 'latest.json')))?.event_count ?? 0) === messages.length, 'the nasty events stored', { timeoutMs: 20_000 });
    assert.equal(await run.stop('SIGTERM'), 0);
    const latest = (await readLatest(join(dir, 'latest.json')));
    assert.ok(latest && Object.keys(latest.workers).includes('../../../evil'), 'the names are kept as data');
    const files = walk(root);
    const outside = files.filter((f) => !f.startsWith(join('a', 'b', 'snapshots') + '/'));
    assert.deepEqual(outside, [], 'nothing written outside the camera directory');
    for (const f of files) assert.match(f.split('/').pop() as string, /^(latest\.json|\d{4}-\d{2}-\d{2}T[0-9.-]+Z-\d{12}(\.json|\.deltas\.jsonl))$/);
    assert.equal(existsSync('/tmp/evcam-abs-evil'), false);
  });
});
