// camera-prometheus benchmark (no broker), targets of issue 18:
//  - CPU per event: the kernel's ingest path (decode, check, adjust, fold) with and
//    without the camera's onEvent after each fold; the camera may add <= 5 %.
//  - scrape: 1,000 task names x 50 workers (every name run on every worker: 50,000
//    label sets, celery-exporter's worst case) rendered <= 100 ms, and with
//    hostnamePattern grouping the 50 pods into one hostname.
// Prints a markdown table with verdicts and one JSON line (`--json`).
//
//   node bench/prometheus.mjs [--events 200000] [--runs 15] [--only cpu|scrape]
import { parseArgs } from 'node:util';
import { CeleryState, Ingestor } from 'evcam-kernel';
import { ClusterMetrics, prometheusCameraOptions } from '@evcam/camera-prometheus';
import { makeRounds, messagesFor } from './lib/stream.mjs';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' }, runs: { type: 'string', default: '15' }, json: { type: 'boolean', default: false }, only: { type: 'string' } } });
const doCpu = values.only !== 'scrape';
const doScrape = values.only !== 'cpu';
const runs = Number(values.runs);
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child() { return silent; } };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const options = (extra = {}) => prometheusCameraOptions.parse(extra);

// ---- CPU per event -----------------------------------------------------------------
const { messages: messageCount } = messagesFor(Number(values.events));
const { round } = makeRounds();
const bodies = [];
for (let r = 0; bodies.length < messageCount; r++) for (const m of round(r)) if (bodies.length < messageCount) bodies.push(m.body);
const receivedAt = (i) => 1795514293 + i / 100_000; // 100k events/s of stream time

function ingestRun(withCamera) {
  const state = new CeleryState({}, silent);
  const ingestor = new Ingestor(state, silent, { localUtcoffset: () => 0 });
  if (withCamera) {
    // The kernel's own hook: the ingestor calls onEvent after each fold (ClusterMetrics is what the camera's onEvent calls).
    const metrics = new ClusterMetrics(options(), silent, () => 0);
    ingestor.setCameras([{ camera: metrics, eventFailed(err) { throw err; } }]);
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < bodies.length; i++) {
    ingestor.receive({ body: bodies[i], contentType: 'application/json', contentEncoding: 'utf-8' }, receivedAt(i));
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const folded = ingestor.metrics.folded;
  return { cpuNsPerEvent: ((cpu.user + cpu.system) * 1000) / folded, eventsPerSec: folded / wall };
}

if (doCpu) { ingestRun(false); ingestRun(true); } // warm-up
// Many short pairs, order alternating, each judged by its own ratio: on a shared machine the
// load changes from second to second, but rarely within one pair.
const plain = [];
const camera = [];
const ratios = [];
for (let i = 0; i < (doCpu ? runs : 0); i++) {
  const first = i % 2 === 0;
  const a = ingestRun(!first);
  const b = ingestRun(first);
  const [p, c] = first ? [a, b] : [b, a];
  plain.push(p);
  camera.push(c);
  ratios.push(c.cpuNsPerEvent / p.cpuNsPerEvent);
}
const plainNs = doCpu ? median(plain.map((r) => r.cpuNsPerEvent)) : NaN;
const cameraNs = doCpu ? median(camera.map((r) => r.cpuNsPerEvent)) : NaN;
const overhead = doCpu ? median(ratios) - 1 : NaN;

// ---- scrape -----------------------------------------------------------------------
function populated(names, workers, extra) {
  let now = 1795514293;
  const metrics = new ClusterMetrics(options({ maxTaskNames: names + 10, ...extra }), silent, () => now);
  let n = 0;
  for (let w = 0; w < workers; w++) {
    const hostname = `celery@worker-7d9f8c6b5-${String(w).padStart(5, 'a').slice(-5)}`;
    metrics.onEvent({ type: 'worker-online', hostname, pid: 1, processed: 0, active: 0, freq: 2, timestamp: now, local_received: now });
    for (let k = 0; k < names; k++) {
      const uuid = `t-${n++}`;
      const name = `proj.tasks.task_${k}`;
      now += 0.0001;
      metrics.onEvent({ type: 'task-sent', uuid, name, queue: 'celery', hostname: 'gen1@api', timestamp: now, local_received: now });
      metrics.onEvent({ type: 'task-received', uuid, name, hostname, timestamp: now, local_received: now });
      metrics.onEvent({ type: 'task-started', uuid, hostname, timestamp: now, local_received: now });
      metrics.onEvent({ type: 'task-succeeded', uuid, hostname, runtime: 0.2, timestamp: now, local_received: now });
    }
    metrics.onEvent({ type: 'worker-heartbeat', hostname, pid: 1, processed: names, active: 0, freq: 2, timestamp: now, local_received: now });
  }
  return { metrics, now };
}

function scrapeBench(names, workers, extra = {}) {
  const { metrics, now } = populated(names, workers, extra);
  metrics.render(now);
  const ms = [];
  let bytes = 0;
  for (let i = 0; i < Math.min(runs, 5); i++) {
    const t0 = performance.now();
    bytes = Buffer.from(metrics.render(now)).length; // the response body, as the endpoint sends it
    ms.push(performance.now() - t0);
  }
  return { names, workers, series: metrics.series.length, bytes, ms: median(ms) };
}

const full = doScrape ? scrapeBench(1000, 50) : null;
const grouped = doScrape ? scrapeBench(1000, 50, { hostnamePattern: '^(.*)-[a-z0-9]+-[a-z0-9]{5}$' }) : null;

const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
const result = {
  cpu: { ratios, plainNsPerEvent: plainNs, cameraNsPerEvent: cameraNs, overhead, plainEventsPerSec: median(plain.map((r) => r.eventsPerSec)), cameraEventsPerSec: median(camera.map((r) => r.eventsPerSec)) },
  scrape: { full, grouped },
};
const rows = [];
if (doCpu) rows.push(['camera CPU per event (ingest path)', '<= 5 %', `${(overhead * 100).toFixed(1)} % (median of ${runs} paired runs; ${plainNs.toFixed(0)} → ${cameraNs.toFixed(0)} ns/event)`, verdict(overhead <= 0.05)]);
if (doScrape) rows.push(
  [`scrape 1,000 names × 50 workers (${full.series} label sets, ${(full.bytes / 1e6).toFixed(1)} MB)`, '<= 100 ms', `${full.ms.toFixed(1)} ms`, verdict(full.ms <= 100)],
  [`scrape, 50 pods grouped by hostnamePattern (${grouped.series} label sets, ${(grouped.bytes / 1e6).toFixed(2)} MB)`, '<= 100 ms', `${grouped.ms.toFixed(1)} ms`, verdict(grouped.ms <= 100)],
);
result.rows = rows;
result.table = `| camera-prometheus | target | measured | verdict |\n|---|---|---|---|\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}`;
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else process.stdout.write(`${result.table}\n`);
