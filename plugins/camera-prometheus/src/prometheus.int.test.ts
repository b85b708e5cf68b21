import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { waitUntil } from '@evcam/camera-testkit';
import { captureEvents, countByType } from './testing/captures.js';
import { replayThroughKernel, type ReplayedKernel } from './testing/kernel.js';
import { promtool } from './testing/promtool.js';

const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RULES = join(PACKAGE, 'alerts/celery.rules.yml');
const RULE_TESTS = join(PACKAGE, 'alerts/celery.rules.test.yml');
const DASHBOARD = join(PACKAGE, 'dashboards/celery.json');

interface Panel { type: string; title: string; targets?: { expr: string }[] }
const dashboardExprs = (): { title: string; expr: string }[] =>
  (JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] }).panels
    .flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));


function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

describe('shipped alert rules', () => {
  it('promtool check rules passes', async () => {
    const { code, output } = await promtool(['check', 'rules', RULES]);
    assert.equal(code, 0, output);
    assert.match(output, /SUCCESS: 6 rules found/);
  });

  it('promtool test rules fires every alert in its unit test (and stays quiet before)', async () => {
    const { code, output } = await promtool(['test', 'rules', RULE_TESTS]);
    assert.equal(code, 0, output);
    assert.match(output, /SUCCESS/);
  });
});

describe('a real Prometheus server scraping the camera', () => {
  const capture = 'rabbitmq-5.2.6.jsonl';
  let run: ReplayedKernel;
  let prometheus: ChildProcess;
  let api: string;
  let dir: string;
  let log = '';

  before(async () => {
    run = await replayThroughKernel(capture);
    dir = mkdtempSync(join(tmpdir(), 'evcam-prometheus-'));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    const target = new URL(run.url).host;
    writeFileSync(join(dir, 'prometheus.yml'), [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: ['${RULES}']`,
      'scrape_configs:',
      `  - { job_name: evcam, static_configs: [ { targets: ['${target}'] } ] }`,
      '',
    ].join('\n'));
    prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    prometheus.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
    prometheus.on('exit', (code, signal) => { log += ` [prometheus exited: ${code ?? signal}]`; });
  });

  after(async () => {
    prometheus?.kill('SIGTERM');
    await new Promise((r) => (prometheus?.exitCode !== null ? r(null) : prometheus.once('exit', r)));
    await run?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const query = async (promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = await res.json() as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(JSON.stringify(body));
    return body.data.result;
  };

  it('answers PromQL over its HTTP API with the counts of the capture', async () => {
    const counts = countByType(captureEvents(capture));
    let result: Awaited<ReturnType<typeof query>> = [];
    await waitUntil(async () => {
      result = await query('sum(celery_task_succeeded_total)');
      return result.length === 1;
    }, `Prometheus to scrape the camera (log: ${log})`, { timeoutMs: 60_000, intervalMs: 500 });
    assert.equal(Number(result[0].value[1]), counts.get('task-succeeded'));
    const byType = await query('sum by (__name__) ({__name__=~"celery_task_(started|failed|received)_total"})');
    const got = Object.fromEntries(byType.map((r) => [r.metric.__name__, Number(r.value[1])]));
    assert.deepEqual(got, {
      celery_task_started_total: counts.get('task-started'),
      celery_task_failed_total: counts.get('task-failed'),
      celery_task_received_total: counts.get('task-received'),
    });
    const up = await query('up{job="evcam"}');
    assert.equal(up[0]?.value[1], '1');
    // The scrape passed Prometheus' own parser: no sample was dropped as invalid.
    const dropped = await query('scrape_samples_post_metric_relabeling{job="evcam"} - scrape_samples_scraped{job="evcam"}');
    assert.equal(dropped[0]?.value[1], '0');
  });

  it('runs every query of the shipped Grafana dashboard, on metrics the camera exports', async () => {
    const exported = new Set([...(await run.scrape()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const exprs = dashboardExprs();
    assert.ok(exprs.length >= 20);
    for (const { title, expr } of exprs) {
      for (const [, metric] of expr.matchAll(/\b((?:celery|evcam)_[a-z_]+)/g)) {
        const family = metric.replace(/_(bucket|sum|count)$/, '');
        assert.ok(exported.has(family) || exported.has(metric), `${title}: ${metric} is not exported`);
      }
      const promql = expr.replaceAll('$__rate_interval', '1m').replace(/\$(task|queue|hostname)/g, '.*');
      await query(promql); // throws on a PromQL error
    }
  });
});
