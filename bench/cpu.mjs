// The bench's cpu part (issue 15 item 4): whole-process CPU per event and drain speed
// of one pre-filled durable queue, drained in one run each by
//   - the kernel as shipped (`--queue`, default acks after folding, 1 s file camera, --limit),
//   - the bare amqplib no-ack reader (bench/bare-consumer.mjs),
//   - Python evcam: Celery's own evcam loop (State, a Polaroid at freq 1 storing nothing,
//     EventReceiver, no-ack) pointed at the same kind of pre-filled queue
//     (bench/lib/celery-evcam-drain.py explains why its queue is swapped).
// CPU is user+sys of the whole process, start-up included; speed is events over the drain time.
// The kernel checkpoints as it does by default in --queue mode (to a file in a temp dir).
// Each contender gets its own copy of the same messages, published before any of them runs.
// Start-up: whole-process CPU of `evcam-kernel replay <1k-event fixture>` (file camera) and of
// `evcam-kernel --help`, median of EVCAM_BENCH_STARTUP_RUNS (5).
// Knobs (env): EVCAM_BENCH_CPU_MESSAGES (300000), EVCAM_BENCH_CPU_CHECKPOINT (true; false: --no-checkpoint). Prints one JSON line.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createVhost } from './lib/rabbit.mjs';
import { KERNEL_BIN, PROBE, ROOT, runNode, startKernel } from './lib/processes.mjs';

const MESSAGES = Number(process.env.EVCAM_BENCH_CPU_MESSAGES ?? 300_000);
const PYTHON = process.env.EVCAM_BENCH_PYTHON ?? '/usr/bin/python3';
const CHECKPOINT = process.env.EVCAM_BENCH_CPU_CHECKPOINT !== 'false';
const STARTUP_RUNS = Number(process.env.EVCAM_BENCH_STARTUP_RUNS ?? 5);
const FIXTURE = join(ROOT, 'test/fixtures/bigdata-5.2.6.jsonl');
const log = (msg) => process.stderr.write(`[bench cpu] ${msg}\n`);

function runPython(url, queue, events) {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [join(ROOT, 'bench/lib/celery-evcam-drain.py'), url, queue, String(events)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 900_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`python evcam failed (${code}): ${err.slice(-2000)}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

/** CPU seconds of one kernel process (the bench probe's process.cpuUsage at exit). */
function kernelCpuSecs(args, dir) {
  const probe = join(dir, `startup-${process.hrtime.bigint()}.json`);
  const nodeOptions = [process.env.NODE_OPTIONS, `--import=${PROBE}`].filter(Boolean).join(' ');
  const r = spawnSync(KERNEL_BIN, args, { cwd: dir, env: { ...process.env, EVCAM_BENCH_PROBE: probe, NODE_OPTIONS: nodeOptions }, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`evcam-kernel ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(readFileSync(probe, 'utf8')).cpuSecs;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function startup(dir) {
  const replay = [];
  const help = [];
  for (let i = 0; i < STARTUP_RUNS; i++) {
    replay.push(kernelCpuSecs(['replay', FIXTURE, '-c', 'file', '--camera-option', `dir=${join(dir, `replay-${i}`)}`, '-l', 'warning'], dir));
    help.push(kernelCpuSecs(['--help'], dir));
  }
  return { fixture: 'test/fixtures/bigdata-5.2.6.jsonl', replayCpuSecs: median(replay), replayRuns: replay, helpCpuSecs: median(help), helpRuns: help };
}

const broker = createVhost();
const workDir = mkdtempSync(join(os.tmpdir(), 'evcam-bench-cpu-'));
try {
  log(`start-up: replay of ${FIXTURE} and --help, ${STARTUP_RUNS} runs each`);
  const start = startup(workDir);
  log(`start-up: replay ${start.replayCpuSecs.toFixed(3)} s CPU, --help ${start.helpCpuSecs.toFixed(3)} s CPU`);
  const q = { kernel: 'bench-cpu-kernel', bare: 'bench-cpu-bare', python: 'bench-cpu-python' };
  log(`publishing ${MESSAGES} messages to ${Object.values(q).join(', ')}`);
  const published = await runNode('bench/publish.mjs', ['--url', broker.url, '--messages', String(MESSAGES), ...Object.values(q).flatMap((n) => ['--queue', n])]);
  const events = published.events;
  const perEvent = (cpuSecs, n) => (cpuSecs * 1e6) / n;

  log('kernel: --queue (acks after folding), 1 s file camera');
  const k = await startKernel(['-b', broker.url, '--queue', q.kernel, '--limit', String(events), '--camera', 'file',
    '--camera-option', `dir=${join(workDir, 'snapshots')}`, '-F', '1',
    ...(CHECKPOINT ? ['--checkpoint', join(workDir, 'checkpoint.json')] : ['--no-checkpoint'])], { workDir, timeoutMs: 900_000 }).result;
  const kernel = { events: k.folded, secs: k.secs, eventsPerSec: k.eventsPerSec, cpuUsPerEvent: k.cpuUsPerEvent, maxRssKb: k.maxRssKb };
  log(`kernel: ${Math.round(kernel.eventsPerSec)} events/s, ${kernel.cpuUsPerEvent.toFixed(2)} µs CPU/event`);

  log('bare amqplib no-ack reader');
  const b = await runNode('bench/bare-consumer.mjs', ['--url', broker.url, '--queue', q.bare, '--messages', String(published.messages)]);
  const bareEvents = events * (b.messages / published.messages);
  const bare = { events: bareEvents, secs: b.secs, eventsPerSec: bareEvents / b.secs, cpuUsPerEvent: perEvent(b.cpuSecs, bareEvents) };
  log(`bare: ${Math.round(bare.eventsPerSec)} events/s, ${bare.cpuUsPerEvent.toFixed(2)} µs CPU/event`);

  log('Python evcam (Celery EventReceiver + State + Polaroid freq 1)');
  const p = await runPython(broker.url, q.python, events);
  const python = { events: p.events, secs: p.secs, eventsPerSec: p.events / p.secs, cpuUsPerEvent: perEvent(p.cpuSecs, p.events) };
  log(`python: ${Math.round(python.eventsPerSec)} events/s, ${python.cpuUsPerEvent.toFixed(2)} µs CPU/event`);

  const loadavg = os.loadavg().map((l) => Math.round(l * 100) / 100);
  process.stdout.write(`${JSON.stringify({
    messages: published.messages, events, loadavg, startup: start, kernel, bare, python,
    cpuVsBare: kernel.cpuUsPerEvent / bare.cpuUsPerEvent,
    cpuVsPython: kernel.cpuUsPerEvent / python.cpuUsPerEvent,
    speedVsPython: kernel.eventsPerSec / python.eventsPerSec,
  })}\n`);
} finally {
  broker.remove();
  rmSync(workDir, { recursive: true, force: true });
}
