// `npm run bench`: evcam's throughput, memory and shutter-cost figures against
// the targets of issue 7. Every measured party is its own process; the
// publisher never shares one with what it feeds. Prints a markdown table and
// writes bench/results/latest.json. Knobs (env): EVCAM_BENCH_RUNS (5),
// EVCAM_BENCH_MESSAGES (ingest messages per run, 200000), EVCAM_BENCH_MEMORY_RUNS (1),
// EVCAM_BENCH_ONLY (comma-separated parts to run: fold,shutter,ingest,memory,sql,scale,prometheus; all by default),
// EVCAM_BENCH_SQL_ROWS (tasks rows for the SQL query timings, 1000000).
// The scale part (bench/scale.mjs) takes EVCAM_BENCH_SCALE_TASKS (1000000), EVCAM_BENCH_SCALE_CELERY
// (true) and EVCAM_BENCH_SCALE_RUNS (1). The cpu part (bench/cpu.mjs, issue 15 item 4) takes
// EVCAM_BENCH_CPU_MESSAGES (300000) and EVCAM_BENCH_STARTUP_RUNS (5).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { messagesFor } from './lib/stream.mjs';
import { summarize } from './lib/stats.mjs';
import { createVhost, rabbitVersion } from './lib/rabbit.mjs';
import { kernelRuntime, ROOT, runNode, startKernel } from './lib/processes.mjs';
import { machine } from './lib/machine.mjs';
import { TARGETS, judge, table } from './lib/report.mjs';

const RUNS = Number(process.env.EVCAM_BENCH_RUNS ?? 5);
const INGEST_MESSAGES = Number(process.env.EVCAM_BENCH_MESSAGES ?? 200_000);
const MEMORY_RUNS = Number(process.env.EVCAM_BENCH_MEMORY_RUNS ?? 1);
const ALL_PARTS = ['fold', 'shutter', 'ingest', 'memory', 'sql', 'scale', 'prometheus', 'cpu'];
const PARTS = new Set((process.env.EVCAM_BENCH_ONLY ?? ALL_PARTS.join(',')).split(',').map((p) => p.trim()));
const NULL_CAMERA = join(ROOT, 'bench/lib/null-camera.mjs');

const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);
const started = Date.now();
const workDir = mkdtempSync(join(os.tmpdir(), 'evcam-bench-'));
const results = { when: new Date().toISOString(), machine: { ...machine(), rabbitmq: rabbitVersion() }, targets: TARGETS };

async function foldBench() {
  log('fold: 1M events through CeleryState, no broker');
  const out = await runNode('bench/fold.mjs', ['--events', '1000000', '--runs', '5'], { nodeArgs: ['--max-old-space-size=4096'] });
  return {
    events: out.events,
    stateEventsPerSec: summarize(out.fold.map((r) => r.eventsPerSec)),
    ingestPathEventsPerSec: summarize(out.ingest.map((r) => r.eventsPerSec)),
  };
}

async function shutterBench() {
  log('shutter: event-loop delay of 1 s file-camera shutters at 10k tasks');
  // With the kernel's own node flags (its bin's shebang): they decide how the GC pauses.
  return runNode('bench/shutter.mjs', ['--shutters', '10'], kernelRuntime());
}

async function sqlBench() {
  const rows = process.env.EVCAM_BENCH_SQL_ROWS ?? '1000000';
  log(`sql: 10k-task shutters into PostgreSQL and SQLite; documented queries on ${rows} rows`);
  return runNode('bench/sql.mjs', ['--rows', rows], { timeoutMs: 1_800_000 });
}

const publish = (url, count, queues, skip = 0) =>
  runNode('bench/publish.mjs', ['--url', url, '--messages', String(count), '--skip', String(skip), ...queues.flatMap((q) => ['--queue', q])]);

/** The kernel's ack pattern in no-loss mode (receiver.prefetch, ACK_EVERY in receivers/amqp-acks.ts). */
const KERNEL_ACKS = ['--prefetch', '2000', '--ack-every', '256'];

/**
 * One run: fill one queue per contender with the same messages, drain each in turn.
 * Two like-for-like pairs: the kernel in Celery's no-ack consumption (--acks none) against
 * the bare no-ack reader, and the kernel's default no-loss consumption (acked after folding)
 * against the bare reader acking the same way; the camera contender is the default kernel
 * with a 1 s file camera.
 */
async function ingestRun(broker, run) {
  const q = Object.fromEntries(['bare', 'bareAcked', 'kernelNoAck', 'kernel', 'camera'].map((name) => [name, `bench-${name}-${run}`]));
  const published = await publish(broker.url, INGEST_MESSAGES, Object.values(q));
  const snapshots = join(workDir, `snapshots-${run}`);
  const bare = async (queue, extra) => {
    const r = await runNode('bench/bare-consumer.mjs', ['--url', broker.url, '--queue', queue, '--messages', String(published.messages), ...extra]);
    return { ...r, eventsPerSec: (published.events * (r.messages / published.messages)) / r.secs };
  };
  const kernel = (queue, extra) => startKernel(['-b', broker.url, '--queue', queue, '--limit', String(published.events), ...extra], { workDir }).result;
  const contenders = {
    bare: () => bare(q.bare, []),
    bareAcked: () => bare(q.bareAcked, KERNEL_ACKS),
    kernelNoAck: () => kernel(q.kernelNoAck, ['--acks', 'none', '--camera', NULL_CAMERA, '-F', '3600']),
    kernel: () => kernel(q.kernel, ['--camera', NULL_CAMERA, '-F', '3600']),
    camera: () => kernel(q.camera, ['--camera', 'file', '--camera-option', `dir=${snapshots}`, '-F', '1']),
  };
  // Rotate who goes first, so no contender always meets a freshly filled (or drained) broker.
  const order = Object.keys(contenders);
  for (let i = 0; i < run % order.length; i++) order.push(order.shift());
  const out = { published };
  for (const name of order) {
    out[name] = await contenders[name]();
    log(`ingest run ${run + 1}: ${name} ${Math.round(out[name].eventsPerSec)} events/s`);
  }
  for (const name of Object.values(q)) broker.deleteQueue(name);
  rmSync(snapshots, { recursive: true, force: true });
  out.ratio = out.kernelNoAck.eventsPerSec / out.bare.eventsPerSec;
  out.ackedRatio = out.kernel.eventsPerSec / out.bareAcked.eventsPerSec;
  out.ackCost = out.bareAcked.eventsPerSec / out.bare.eventsPerSec;
  out.defaultVsBare = out.kernel.eventsPerSec / out.bare.eventsPerSec;
  out.cameraRatio = out.camera.eventsPerSec / out.kernel.eventsPerSec;
  return out;
}

async function queueDepth(url, queue) {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    return (await ch.checkQueue(queue)).messageCount;
  } finally {
    await conn.close();
  }
}

/** Peak RSS of one kernel (defaults: 10k tasks, 1 s file camera) at 500k events, then at 2M. */
async function memoryRun(broker, run) {
  const queue = `bench-memory-${run}`;
  const first = messagesFor(500_000);
  const all = messagesFor(2_000_000);
  const kernel = startKernel(['-b', broker.url, '--queue', queue, '--limit', String(all.events), '--camera', 'file',
    '--camera-option', `dir=${join(workDir, `memory-${run}`)}`, '-F', '1'], { workDir, timeoutMs: 600_000 });
  await kernel.ready;
  await publish(broker.url, first.messages, [queue]);
  // Wait until the kernel took everything, then let it fold its prefetch window.
  const waitUntil = Date.now() + 120_000;
  while (await queueDepth(broker.url, queue) > 0) {
    if (kernel.child.exitCode !== null || Date.now() > waitUntil) {
      kernel.child.kill('SIGKILL');
      await kernel.result; // throws with the reason
      throw new Error('the kernel stopped draining the memory queue');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 1500));
  const at500k = kernel.peakRssKb();
  await publish(broker.url, all.messages - first.messages, [queue], first.messages);
  const done = await kernel.result;
  broker.deleteQueue(queue);
  rmSync(join(workDir, `memory-${run}`), { recursive: true, force: true });
  const mb = (kb) => kb / 1024;
  return { peakRssMb500k: mb(at500k), peakRssMb2M: mb(done.maxRssKb), growth: (done.maxRssKb - at500k) / at500k, folded: done.folded };
}

/**
 * The broker is shared: if someone else's test restarts it mid-run, the run
 * fails with a closed connection. Start that run again once, on clean queues.
 */
async function retried(fn, broker) {
  try {
    return await fn();
  } catch (err) {
    log(`run failed (${String(err.message).split('\n')[0]}); retrying once`);
    for (const q of broker.queues()) broker.deleteQueue(q);
    await new Promise((r) => setTimeout(r, 3000));
    return fn();
  }
}

async function brokerBenches() {
  const broker = createVhost();
  const cleanup = () => { broker.remove(); rmSync(workDir, { recursive: true, force: true }); };
  process.once('SIGINT', () => { cleanup(); process.exit(130); });
  try {
    const ingest = [];
    for (let run = 0; run < (PARTS.has('ingest') ? RUNS : 0); run++) ingest.push(await retried(() => ingestRun(broker, run), broker));
    const memory = [];
    for (let run = 0; run < (PARTS.has('memory') ? MEMORY_RUNS : 0); run++) {
      log(`memory run ${run + 1}: 500k then 2M events through the kernel`);
      memory.push(await retried(() => memoryRun(broker, run), broker));
    }
    return { ingest, memory };
  } finally {
    cleanup();
  }
}

try {
  if (PARTS.has('fold')) results.fold = await foldBench();
  if (PARTS.has('shutter')) results.shutter = await shutterBench();
  if (PARTS.has('sql')) results.sql = await sqlBench();
  if (PARTS.has('scale')) {
    log('scale: a generated stream replayed with --max-tasks-in-memory 1000000 (see bench/scale.mjs)');
    results.scale = await runNode('bench/scale.mjs', [], { timeoutMs: 6 * 3600_000 });
    // The live targets: the State at the same size, events at 20k/s, 1 s file shutters (in-process, no broker).
    const tasks = process.env.EVCAM_BENCH_SCALE_TASKS ?? '1000000';
    log(`scale: shutter stall and ingest at ${tasks} tasks in memory, 20k events/s (bench/shutter.mjs)`);
    const runtime = kernelRuntime();
    results.scale.live = await runNode('bench/shutter.mjs', ['--shutters', '10', '--rate', '20000', '--tasks', tasks],
      { ...runtime, nodeArgs: [...(runtime.nodeArgs ?? []), '--max-old-space-size=16384'], timeoutMs: 1800_000 });
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/scale.json'), `${JSON.stringify({ when: results.when, machine: results.machine, scale: results.scale }, null, 2)}\n`);
  }
  if (PARTS.has('prometheus')) {
    log('prometheus: CPU the camera adds per event; scrape at 1,000 task names x 50 workers');
    results.prometheus = await runNode('bench/prometheus.mjs', ['--json'], { nodeArgs: ['--max-old-space-size=4096'], timeoutMs: 900_000 });
  }
  if (PARTS.has('cpu')) {
    log('cpu: one pre-filled queue drained by the kernel, the bare reader and Python evcam; start-up CPU (see bench/cpu.mjs)');
    results.cpu = await runNode('bench/cpu.mjs', [], { timeoutMs: 3600_000 });
  }
  const { ingest, memory } = PARTS.has('ingest') || PARTS.has('memory') ? await brokerBenches() : { ingest: [], memory: [] };
  if (ingest.length > 0) {
    results.ingest = {
      messagesPerRun: INGEST_MESSAGES,
      eventsPerRun: ingest[0].published.events,
      bareEventsPerSec: summarize(ingest.map((r) => r.bare.eventsPerSec)),
      bareAckedEventsPerSec: summarize(ingest.map((r) => r.bareAcked.eventsPerSec)),
      kernelNoAckEventsPerSec: summarize(ingest.map((r) => r.kernelNoAck.eventsPerSec)),
      kernelEventsPerSec: summarize(ingest.map((r) => r.kernel.eventsPerSec)),
      ratio: summarize(ingest.map((r) => r.ratio)),
      ackedRatio: summarize(ingest.map((r) => r.ackedRatio)),
      ackCost: summarize(ingest.map((r) => r.ackCost)),
      defaultVsBare: summarize(ingest.map((r) => r.defaultVsBare)),
      cameraEventsPerSec: summarize(ingest.map((r) => r.camera.eventsPerSec)),
      cameraRatio: summarize(ingest.map((r) => r.cameraRatio)),
      kernelPeakRssMb: summarize(ingest.map((r) => r.kernel.maxRssKb / 1024)),
      kernelNoAckPeakRssMb: summarize(ingest.map((r) => r.kernelNoAck.maxRssKb / 1024)),
      runs: ingest,
    };
  }
  if (memory.length > 0) {
    results.memory = {
      peakRssMb500k: summarize(memory.map((m) => m.peakRssMb500k)),
      peakRssMb2M: summarize(memory.map((m) => m.peakRssMb2M)),
      growth: summarize(memory.map((m) => m.growth)),
      runs: memory,
    };
  }
  results.verdicts = judge(results);
  results.totalSecs = (Date.now() - started) / 1000;
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  // A partial run (EVCAM_BENCH_ONLY) prints its table but leaves the full results alone.
  if (ALL_PARTS.every((p) => PARTS.has(p))) writeFileSync(join(ROOT, 'bench/results/latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${table(results)}\n`);
  if (results.prometheus) process.stdout.write(`\n${results.prometheus.table}\n`);
  const promPass = !results.prometheus || results.prometheus.rows.every((r) => r[3] === 'PASS');
  process.exitCode = results.verdicts.every((v) => v.pass) && promPass ? 0 : 1;
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
