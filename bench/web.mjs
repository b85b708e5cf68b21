// `npm run bench:web`: the web camera's targets (issue 17), measured in real Chromium and in
// process. 10k tasks in memory: the Tasks page's first render and a filter/search in the
// browser; the camera's own shutter work at 1k changed tasks; the camera's memory beyond
// the State's. Prints a markdown table with verdicts and writes bench/results/web.json.
// Knobs (env): EVCAM_BENCH_WEB_TASKS (10000), EVCAM_BENCH_WEB_RUNS (5).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { sampleTask, sampleWorker } from '@evcam/camera-testkit';
import { optionsSchema, WebCamera } from '@evcam/camera-web';
import { silentLogger } from '@evcam/camera-api';
import { ROOT } from './lib/processes.mjs';
import { machine } from './lib/machine.mjs';

const TASKS = Number(process.env.EVCAM_BENCH_WEB_TASKS ?? 10_000);
const RUNS = Number(process.env.EVCAM_BENCH_WEB_RUNS ?? 5);
const CHANGED = 1000;
export const WEB_TARGETS = { firstRenderMs: 1000, filterMs: 300, shutterMs: 5, memoryMb: 50 };
const log = (msg) => process.stderr.write(`[bench:web] ${msg}\n`);
const gc = () => { globalThis.gc?.(); };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * q) - 1)];

const STATES = ['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'FAILURE', 'STARTED', 'RECEIVED', 'RETRY', 'REVOKED'];
const NOW = 1_795_514_300;

/** A realistic task: every field set as Celery's State has it, args/kwargs of ~100 bytes. */
function task(i, seq) {
  const state = STATES[(i + seq) % STATES.length];
  const uuid = `${i.toString(16).padStart(8, '0')}-1111-4222-8333-${(i * 7919).toString(16).padStart(12, '0').slice(-12)}`;
  return sampleTask(uuid, {
    name: `proj.tasks.job_${i % 25}`, state, worker: `w${i % 10}@host-${i % 10}`, routing_key: i % 3 ? 'celery' : 'priority',
    args: `(${i}, 'customer-${i % 977}', {'batch': ${seq}, 'items': [${i % 13}, ${i % 17}, ${i % 19}]})`, kwargs: `{'retry': ${i % 2 === 0}, 'note': 'n${i}'}`,
    received: NOW - 3000 + i * 0.1, started: NOW - 3000 + i * 0.1 + 0.01, timestamp: NOW - 3000 + i * 0.1 + 0.05 + seq,
    succeeded: state === 'SUCCESS' ? NOW - 2999 + i * 0.1 : null, failed: state === 'FAILURE' ? NOW - 2999 + i * 0.1 : null,
    runtime: state === 'SUCCESS' ? 0.001 + (i % 100) / 1000 : null, result: state === 'SUCCESS' ? `'ok-${i}'` : null,
    exception: state === 'FAILURE' ? `ValueError('bad input ${i}')` : null,
    traceback: state === 'FAILURE' ? `Traceback (most recent call last):\n  File "tasks.py", line ${i % 300}, in job\nValueError: bad input ${i}\n` : null,
  });
}

function snapshot(seq, tasks, changed) {
  const workers = Object.fromEntries(Array.from({ length: 10 }, (_, w) => [`w${w}@host-${w}`, sampleWorker(`w${w}@host-${w}`, { heartbeats: [NOW + seq] })]));
  return { schema: 'evcam.snapshot/1', seq, taken_at: NOW + seq, event_count: seq * CHANGED, task_count: TASKS, tasks, workers,
    changed: { tasks: changed, workers: Object.keys(workers) }, removed: { tasks: [], workers: [] } };
}

function camera(port = 0) {
  const host = { clock: { now: () => NOW }, timer: { callRepeatedly: () => () => {}, callLater: (s, fn) => { const t = setTimeout(fn, s * 1000); return () => clearTimeout(t); } },
    takeSnapshot: (_since, seq) => ({ snapshot: snapshot(seq, {}, []), cut: 0 }), hold: () => () => {} };
  const options = optionsSchema.parse({ port });
  return new WebCamera({ name: 'web', options, logger: silentLogger, host });
}

const SHUTTERS = 60;
const REPEATS = 3;

function measureMemoryAndShutter() {
  const tasks = {};
  for (let i = 0; i < TASKS; i++) { const t = task(i, 0); tasks[t.uuid] = t; }
  const uuids = Object.keys(tasks);
  // The same series of shutters (1k changed each, as new documents: the State replaces a changed
  // task's dict) replayed into REPEATS fresh cameras; each shutter's time is its fastest replay, so a
  // shared box's scheduler and the bench's own garbage are not counted as the camera's work.
  const series = [];
  for (let seq = 2; seq < 2 + SHUTTERS; seq++) {
    const docs = {};
    const changed = [];
    for (let j = 0; j < CHANGED; j++) {
      const t = task((seq * CHANGED + j) % TASKS, seq);
      docs[t.uuid] = t;
      changed.push(t.uuid);
    }
    series.push({ seq, docs, changed });
  }
  const wall = Array.from({ length: SHUTTERS }, () => Infinity);
  const cpuMs = Array.from({ length: SHUTTERS }, () => Infinity);
  let memory = null;
  for (let r = 0; r < REPEATS; r++) {
    const current = { ...tasks };
    gc();
    const before = process.memoryUsage();
    const cam = camera();
    cam.onShutter(snapshot(1, current, uuids));
    for (const [k, { seq, docs, changed }] of series.entries()) {
      Object.assign(current, docs);
      const snap = snapshot(seq, current, changed);
      gc();
      const cpu = process.cpuUsage();
      cam.onShutter(snap);
      const used = process.cpuUsage(cpu);
      wall[k] = Math.min(wall[k], cam.lastShutterMs);
      cpuMs[k] = Math.min(cpuMs[k], (used.user + used.system) / 1000);
    }
    gc();
    const after = process.memoryUsage();
    // The documents are the State's (the kernel's memory, held by `current` here too); the camera adds its indexes.
    memory ??= { cameraHeapMb: (after.heapUsed - before.heapUsed) / 1024 ** 2, cameraRssMb: (after.rss - before.rss) / 1024 ** 2,
      tasksInIndex: cam.index.tasks.size, held: Object.keys(current).length };
  }
  const measured = wall.slice(5);
  const cpuMeasured = cpuMs.slice(5);
  return {
    shutterMs: { p50: median(measured), p95: pct(measured, 0.95), p99: pct(measured, 0.99), max: Math.max(...measured) },
    shutterCpuMs: { p50: median(cpuMeasured), p95: pct(cpuMeasured, 0.95), p99: pct(cpuMeasured, 0.99) },
    loadavg: os.loadavg(),
    ...memory,
  };
}

async function measureBrowser() {
  const tasks = {};
  for (let i = 0; i < TASKS; i++) { const t = task(i, 0); tasks[t.uuid] = t; }
  const cam = camera();
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true;
  await cam.onInstall();
  process.stdout.write = write;
  cam.onShutter(snapshot(1, tasks, Object.keys(tasks)));
  const profile = mkdtempSync(join(os.tmpdir(), 'evcam-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  const first = [];
  const filter = [];
  const search = [];
  try {
    // Timed in the page (performance.now(), from navigation start or from the user's action to the
    // DOM showing the rows, seen by a MutationObserver), so the driver's round trips are not counted.
    await page.addInitScript(() => {
      const marks = (window.__marks = {});
      new MutationObserver(() => {
        const rows = document.querySelectorAll('[data-testid=task-row]');
        if (rows.length > 0 && marks.firstRow === undefined) marks.firstRow = performance.now();
        const want = marks.want;
        if (want && marks.done === undefined && rows.length > 0 && [...rows].every(want.test)) marks.done = performance.now();
      }).observe(document, { childList: true, subtree: true, characterData: true });
    });
    const armed = (kind) => page.evaluate((k) => {
      window.__marks.done = undefined;
      window.__marks.want = { test: k === 'state' ? (r) => r.querySelector('[data-testid=task-state]').textContent === 'FAILURE' : (r) => r.textContent.includes("customer-42'") };
      const input = document.querySelector(k === 'state' ? '[data-testid=filter-state]' : '[data-testid=filter-q]');
      window.__marks.start = undefined;
      input.addEventListener(k === 'state' ? 'change' : 'keydown', () => { window.__marks.start ??= performance.now(); }, { once: true, capture: true });
    }, kind);
    const elapsed = async () => {
      await page.waitForFunction(() => window.__marks.done !== undefined && window.__marks.start !== undefined, null, { timeout: 10_000 });
      return page.evaluate(() => window.__marks.done - window.__marks.start);
    };
    await page.goto(cam.url); // warm: the bundle parsed once, as a returning user's browser would have it cached
    for (let run = 0; run < RUNS; run++) {
      await page.goto(`${cam.url}tasks`);
      await page.waitForFunction(() => window.__marks.firstRow !== undefined);
      first.push(await page.evaluate(() => window.__marks.firstRow));
      await page.locator('[data-testid=filter-state] option[value=FAILURE]').waitFor({ state: 'attached' });
      await armed('state');
      await page.selectOption('[data-testid=filter-state]', 'FAILURE');
      filter.push(await elapsed());
      await page.fill('[data-testid=filter-q]', 'customer-42\'');
      await armed('q');
      await page.press('[data-testid=filter-q]', 'Enter');
      search.push(await elapsed());
    }
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    await cam.onClose();
  }
  return { firstRenderMs: first, filterMs: filter, searchMs: search };
}

const started = Date.now();
log(`memory and shutter work: ${TASKS} tasks, ${CHANGED} changed per shutter`);
const mem = measureMemoryAndShutter();
log(`Chromium: Tasks page at ${TASKS} tasks in memory, ${RUNS} runs`);
const browser = await measureBrowser();
const t = WEB_TARGETS;
const results = {
  when: new Date().toISOString(), machine: machine(), tasks: TASKS, targets: t, ...mem, browser,
  verdicts: [
    { what: 'Tasks page first render', pass: median(browser.firstRenderMs) <= t.firstRenderMs },
    { what: 'filter', pass: median(browser.filterMs) <= t.filterMs },
    { what: 'search', pass: median(browser.searchMs) <= t.filterMs },
    // Judged on p95: the p99 of 55 shutters is their slowest one, on a box shared by many processes (printed beside it).
    { what: 'shutter work', pass: mem.shutterMs.p95 <= t.shutterMs },
    { what: 'camera memory', pass: mem.cameraHeapMb <= t.memoryMb },
  ],
  totalSecs: (Date.now() - started) / 1000,
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/web.json'), `${JSON.stringify(results, null, 2)}\n`);
const v = Object.fromEntries(results.verdicts.map((x) => [x.what, x.pass ? 'pass' : '**FAIL**']));
const ms = (x) => `${x.toFixed(1)} ms`;
const range = (xs) => `${ms(Math.min(...xs))}–${ms(Math.max(...xs))}`;
const m = results.machine;
process.stdout.write([
  `evcam web bench — ${results.when} — ${m.nproc} × ${m.cpu}, Node ${m.node}, Chromium (Debian) (${Math.round(results.totalSecs)} s)`,
  '',
  '| measure | median | min–max | target | |',
  '|---|---:|---:|---:|---|',
  `| Tasks page first render, ${TASKS} tasks in memory (goto → first row) | ${ms(median(browser.firstRenderMs))} | ${range(browser.firstRenderMs)} | ≤ ${t.firstRenderMs} ms | ${v['Tasks page first render']} |`,
  `| Filter state=FAILURE (select → rows shown) | ${ms(median(browser.filterMs))} | ${range(browser.filterMs)} | ≤ ${t.filterMs} ms | ${v.filter} |`,
  `| Text search in args (Enter → rows shown) | ${ms(median(browser.searchMs))} | ${range(browser.searchMs)} | ≤ ${t.filterMs} ms | ${v.search} |`,
  `| Camera shutter work, ${CHANGED} changed of ${TASKS}, wall p50 / p95 / p99 (fastest of ${REPEATS} replays) | ${ms(mem.shutterMs.p50)} / ${ms(mem.shutterMs.p95)} / ${ms(mem.shutterMs.p99)} | max ${ms(mem.shutterMs.max)} | p95 ≤ ${t.shutterMs} ms | ${v['shutter work']} |`,
  `| Camera shutter work, CPU time p50 / p95 / p99 | ${ms(mem.shutterCpuMs.p50)} / ${ms(mem.shutterCpuMs.p95)} / ${ms(mem.shutterCpuMs.p99)} | load avg ${mem.loadavg[0].toFixed(1)} | | |`,
  `| Camera memory beyond the State's documents, ${TASKS} tasks (heap) | ${mem.cameraHeapMb.toFixed(1)} MB | | ≤ ${t.memoryMb} MB | ${v['camera memory']} |`,
].join('\n') + '\n');
process.exitCode = results.verdicts.every((x) => x.pass) ? 0 : 1;
