// `scale` part of `npm run bench` (issue 15): shutters cost what changed, not what is held.
// One generated stream of SCALE_TASKS distinct tasks (the shipped capture, rotated round by
// round as bench/lib/stream.mjs does), replayed by `evcam-kernel replay` with
// --max-tasks-in-memory 1000000: a camera that stores nothing without shutters and with
// 1 s shutters, then the file camera with 1 s shutters; Celery's own State (Debian's
// python3-celery, bench/lib/celery-state.py) on the same file, which then checks evcam's
// final latest.json task for task. Also the kernel's start-up CPU (replay of the 1k-event
// fixture). Each party is its own process; wall time, CPU and peak RSS come from the process.
// Prints one JSON line (read by bench/run.mjs).
//
//   node bench/scale.mjs [--tasks 1000000] [--celery true|false] [--runs 1]
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { FIXTURE, makeRounds } from './lib/stream.mjs';
import { ROOT } from './lib/processes.mjs';
import { summarize } from './lib/stats.mjs';

const { values } = parseArgs({ options: {
  tasks: { type: 'string', default: process.env.EVCAM_BENCH_SCALE_TASKS ?? '1000000' },
  celery: { type: 'string', default: process.env.EVCAM_BENCH_SCALE_CELERY ?? 'true' },
  runs: { type: 'string', default: process.env.EVCAM_BENCH_SCALE_RUNS ?? '1' },
} });
const TASKS = Number(values.tasks);
const RUNS = Number(values.runs);
const log = (msg) => process.stderr.write(`[bench scale] ${msg}\n`);
const KERNEL_BIN = join(ROOT, 'packages/kernel/bin/evcam-kernel.js');
const PROBE = pathToFileURL(join(ROOT, 'bench/lib/probe.mjs')).href;
const NULL_CAMERA = join(ROOT, 'bench/lib/null-camera.mjs');
const work = mkdtempSync(join(tmpdir(), 'evcam-bench-scale-'));

/** The capture as AMQP capture lines, round after round, until TASKS distinct tasks were sent. */
async function generate(file) {
  const capture = readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const { round } = makeRounds();
  const first = round(0);
  const perRound = new Set(first.flatMap((m) => [...m.body.toString().matchAll(/"uuid": "([^"]+)"/g)].map((x) => x[1]))).size;
  const span = Math.ceil(capture[capture.length - 1].recv_ts - capture[0].recv_ts) + 1;
  const rounds = Math.ceil(TASKS / perRound);
  const out = createWriteStream(file);
  let events = 0;
  for (let r = 0; r < rounds; r++) {
    const msgs = r === 0 ? first : round(r);
    let chunk = '';
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i];
      events += m.events;
      chunk += `${JSON.stringify({ recv_ts: capture[i].recv_ts + r * span, properties: { content_type: 'application/json', content_encoding: 'utf-8' }, body: m.body.toString() })}\n`;
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { tasks: rounds * perRound, events, rounds, bytes: statSync(file).size };
}

/** Run a process to its end; wall time from spawn to exit, peak RSS and CPU from the probe or the child. */
function run(cmd, args, { env = {}, probe = null, cwd = ROOT } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => {
      const wallSecs = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`));
      const probed = probe ? JSON.parse(readFileSync(probe, 'utf8')) : null;
      resolve({ wallSecs, out, err, probed });
    });
  });
}

async function kernelReplay(name, file, extra, nodeFlags = []) {
  const probe = join(work, `${name}.probe.json`);
  const nodeOptions = [process.env.NODE_OPTIONS, `--import=${PROBE}`, ...nodeFlags].filter(Boolean).join(' ');
  const r = await run(KERNEL_BIN, ['replay', file, '--max-tasks-in-memory', '1000000', '-l', 'warn', ...extra],
    // From a directory without a config file: the figures are the kernel's, not the repo's evcam.config.ts.
    { env: { EVCAM_BENCH_PROBE: probe, NODE_OPTIONS: nodeOptions }, probe, cwd: work });
  const summary = JSON.parse(r.out.trim().split('\n').pop());
  const camera = summary.cameras?.[0] ?? {};
  return { wallSecs: r.wallSecs, cpuSecs: r.probed.cpuSecs, peakRssMb: r.probed.maxRssKb / 1024, folded: summary.folded,
    shutters: camera.stored ?? 0, superseded: camera.superseded ?? 0, lastShutterMs: camera.lastDurationMs ?? null };
}

/** Start-up: the whole process replaying the shipped 1k-event fixture into a camera that stores nothing. */
async function startup(runs) {
  const out = [];
  for (let i = 0; i < runs; i++) out.push(await kernelReplay(`startup-${i}`, FIXTURE, ['--camera', NULL_CAMERA, '-F', '3600']));
  return { cpuSecs: summarize(out.map((r) => r.cpuSecs)), wallSecs: summarize(out.map((r) => r.wallSecs)) };
}

const results = { tasksTarget: TASKS };
try {
  const file = join(work, 'stream.jsonl');
  log(`generating a stream of ${TASKS} tasks`);
  results.stream = await generate(file);
  log(`stream: ${results.stream.tasks} tasks, ${results.stream.events} events, ${(results.stream.bytes / 2 ** 20).toFixed(0)} MB`);
  const snapshots = join(work, 'snapshots');
  const parties = {
    noShutters: () => kernelReplay('none', file, ['--camera', NULL_CAMERA, '-F', '1000000']),
    nullShutters: () => kernelReplay('null', file, ['--camera', NULL_CAMERA, '-F', '1']),
    fileShutters: () => { rmSync(snapshots, { recursive: true, force: true }); return kernelReplay('file', file, ['--camera', 'file', '--camera-option', `dir=${snapshots}`, '-F', '1']); },
  };
  const runsOf = {};
  for (let i = 0; i < RUNS; i++) {
    for (const [name, fn] of Object.entries(parties)) {
      const r = await fn();
      (runsOf[name] ??= []).push(r);
      log(`${name} run ${i + 1}: ${r.wallSecs.toFixed(1)} s, ${r.peakRssMb.toFixed(0)} MB peak RSS, ${r.shutters} shutters stored`);
    }
  }
  for (const [name, runs] of Object.entries(runsOf)) {
    results[name] = { wallSecs: summarize(runs.map((r) => r.wallSecs)), peakRssMb: summarize(runs.map((r) => r.peakRssMb)),
      cpuUsPerEvent: summarize(runs.map((r) => (r.cpuSecs * 1e6) / r.folded)), runs };
  }
  results.nullRatio = results.nullShutters.wallSecs.median / results.noShutters.wallSecs.median;
  results.fileRatio = results.fileShutters.wallSecs.median / results.noShutters.wallSecs.median;
  // The box is shared: process CPU time is the like-for-like figure when others load it.
  const cpu = (name) => summarize(runsOf[name].map((r) => r.cpuSecs)).median;
  results.nullCpuRatio = cpu('nullShutters') / cpu('noShutters');
  results.fileCpuRatio = cpu('fileShutters') / cpu('noShutters');
  results.loadAverage = (await import('node:os')).loadavg();
  if (values.celery === 'true') {
    log('Celery\'s own State on the same stream (python3-celery), then comparing evcam\'s latest.json with it');
    const r = await run('/usr/bin/python3', [join(ROOT, 'bench/lib/celery-state.py'), file, '--max-tasks', '1000000', '--compare', join(snapshots, 'latest.json')]);
    const celery = JSON.parse(r.out.trim().split('\n').pop());
    results.celery = { ...celery, wallSecs: r.wallSecs };
    results.speedup = r.wallSecs / results.fileShutters.wallSecs.median;
    results.cpuSpeedup = celery.cpuSecs / cpu('fileShutters');
    results.rssShare = results.fileShutters.peakRssMb.median / (celery.maxRssKb / 1024);
    log(`celery: ${r.wallSecs.toFixed(1)} s, ${(celery.maxRssKb / 1024).toFixed(0)} MB; ${celery.tasks} tasks, ${celery.differing} differ`);
  }
  log('start-up: replay of the 1k-event fixture, 5 runs');
  results.startup = await startup(5);
  process.stdout.write(`${JSON.stringify(results)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
