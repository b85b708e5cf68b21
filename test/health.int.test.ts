// Health: /healthz and /metrics (Prometheus text format) on an optional HTTP port, off by default.
import assert from 'node:assert/strict';
import { waitUntil } from '@evcam/camera-testkit';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readJson, type Golden } from './helpers/golden.js';
import { startKernel, type KernelRun } from './helpers/kernel-process.js';
import { fixture } from './helpers/paths.js';
import { createVhost, declareCeleryev, publishCaptured, type CapturedMessage } from './helpers/rabbit.js';
import { captured, freePort, healthz, readLatest, scrape, waitForHttp } from './helpers/reliability.js';

const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*",?)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/;

describe('health endpoints', () => {
  let vhost: ReturnType<typeof createVhost>;
  const running: KernelRun[] = [];
  before(async () => { vhost = createVhost('evcam-health'); await declareCeleryev(vhost.url); });
  after(async () => {
    for (const run of running) await run.stop('SIGKILL');
    vhost.remove();
  });

  test('/healthz and /metrics report events by type, bad messages by reason, reconnects, cameras, State sizes and lag', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-health-'));
    const port = await freePort();
    const run = startKernel(['-b', vhost.url, '--camera', 'file', '--camera-option', `dir=${dir}`, '-F', '0.2', '--http-port', String(port),
      '--checkpoint', join(dir, 'cp.json')]);
    running.push(run);
    await waitForHttp(run, port);
    const messages = captured();
    const bad: CapturedMessage[] = [
      { routing_key: 'task.x', body: '{"type": "task-sent"', properties: { content_type: 'application/json', content_encoding: 'utf-8' } },
      { routing_key: 'task.x', body: '\u0080\u0004pickle', properties: { content_type: 'application/x-python-serialize', content_encoding: 'binary' } },
      { routing_key: 'task.x', body: '{"type": "bogus"}', properties: { content_type: 'application/json', content_encoding: 'utf-8' } },
    ];
    await publishCaptured(vhost.url, [...messages, ...bad]);
    const golden = readJson<Golden>(fixture('rabbitmq-5.2.6.golden.json'));
    await waitUntil(async () => (await readLatest(join(dir, 'latest.json')))?.event_count === golden.event_count, 'all events stored', { timeoutMs: 30_000 });

    // The broker drops our connection: the kernel reconnects and counts it.
    execFileSync('rabbitmqctl', ['-q', 'close_all_connections', '--vhost', vhost.vhost, 'health test'], { stdio: 'ignore' });
    await waitUntil(async () => { const h = await healthz(port); return h.receiver.connected && h.receiver.reconnects === 1; }, 'a reconnect', { timeoutMs: 30_000 });

    const health = await healthz(port);
    assert.equal(health.status, 'ok');
    assert.equal(health.state.eventCount, golden.event_count);
    assert.equal(health.state.tasks, Object.keys(golden.tasks).length);
    assert.equal(health.state.workers, Object.keys(golden.workers).length);
    assert.deepEqual(health.cameras.map((c: { name: string; status: string }) => [c.name, c.status]), [['file', 'ok']]);
    assert.ok(health.checkpoint.writes > 0);

    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    const declared = new Set<string>();
    for (const line of text.trimEnd().split('\n')) {
      const help = /^# HELP (\S+) \S/.exec(line);
      const type = /^# TYPE (\S+) (counter|gauge|summary)$/.exec(line);
      if (help) continue;
      if (type) { declared.add(type[1]); continue; }
      assert.match(line, SAMPLE);
      const name = line.split(/[{ ]/)[0];
      assert.ok(declared.has(name) || declared.has(name.replace(/_(sum|count)$/, '')), `${name} has a TYPE line before its samples`);
    }
    const m = await scrape(port);
    const perType = new Map<string, number>();
    for (const msg of messages) {
      const body = JSON.parse(msg.body) as { type: string } | { type: string }[];
      for (const ev of Array.isArray(body) ? body : [body]) perType.set(ev.type, (perType.get(ev.type) ?? 0) + 1);
    }
    for (const [type, n] of perType) assert.equal(m.get(`evcam_events_folded_total{type="${type}"}`), n, type);
    assert.equal(m.get('evcam_bad_messages_total{reason="invalid-json"}'), 1);
    assert.equal(m.get('evcam_bad_messages_total{reason="content-type"}'), 1);
    assert.equal(m.get('evcam_bad_messages_total{reason="bad-type"}'), 1);
    assert.equal(m.get('evcam_receiver_reconnects_total'), 1);
    assert.equal(m.get('evcam_receiver_connected'), 1);
    assert.equal(m.get('evcam_state_event_count'), golden.event_count);
    assert.equal(m.get('evcam_state_tasks'), Object.keys(golden.tasks).length);
    assert.equal(m.get('evcam_event_lag_seconds_count'), golden.event_count);
    assert.ok((m.get('evcam_event_lag_seconds_sum') ?? 0) > 0, 'the captured events are old: lag is positive');
    assert.ok((m.get('evcam_camera_stored_total{camera="file"}') ?? 0) > 0);
    assert.equal(m.get('evcam_camera_failures_total{camera="file"}'), 0);
    assert.ok((m.get('evcam_camera_shutter_duration_seconds{camera="file"}') ?? -1) >= 0);
    assert.ok((m.get('evcam_checkpoint_writes_total') ?? 0) > 0);
    assert.ok((m.get('process_resident_memory_bytes') ?? 0) > 0);
    assert.equal((await fetch(`http://127.0.0.1:${port}/nope`)).status, 404);
    assert.equal(await run.stop('SIGTERM'), 0);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'the port is closed at exit');
  });

  test('off by default: no port is opened without http.port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-health-'));
    const run = startKernel(['-b', vhost.url, '--camera', 'file', '--camera-option', `dir=${dir}`]);
    running.push(run);
    await run.waitFor('consuming Celery events');
    assert.doesNotMatch(run.stderr(), /serving \/healthz and \/metrics/);
    const listening = execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`pid=${run.child.pid},`));
    assert.deepEqual(listening, []);
    assert.equal(await run.stop('SIGTERM'), 0);
  });
});
