// Shutter cost (no broker): with 10k tasks in the State and events arriving
// steadily, how long do the file camera's shutters stall the event loop?
// Uses the real CeleryState, Ingestor, shutter engine and file camera on the system
// timer; perf_hooks.monitorEventLoopDelay is read only while a shutter is in
// flight (from the capture timer firing until onShutter resolved). Also times
// the two synchronous parts on their own: building the snapshot and turning it
// into JSON. Prints one JSON line.
//
// Ingest: the events folded per second while the shutters run, against a phase of the same
// length before the camera is installed (same feeder): a stalled loop skips feeder turns.
// With --tasks above 100k the separate timing of the synchronous parts is skipped (the whole
// snapshot as one JSON string would pass V8's string limit at 1M tasks).
//
//   node bench/shutter.mjs [--shutters 10] [--rate 50000] [--tasks 10000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { FileCamera, fileCameraOptions } from '@evcam/camera-file';
import { CeleryState, Ingestor, ShutterEngine, SystemClock, SystemTimer } from 'evcam-kernel';
import { makeRounds } from './lib/stream.mjs';
import { summarize } from './lib/stats.mjs';

const { values } = parseArgs({ options: {
  shutters: { type: 'string', default: '10' },
  rate: { type: 'string', default: '50000' },
  tasks: { type: 'string', default: '10000' },
} });
const shutters = Number(values.shutters);
const eventsPerSec = Number(values.rate);
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child() { return silent; } };
const dir = mkdtempSync(join(tmpdir(), 'evcam-bench-shutter-'));

const clock = new SystemClock();
const state = new CeleryState({ maxTasksInMemory: Number(values.tasks) }, silent);
const ingestor = new Ingestor(state, silent);
const { round, eventsPerRound } = makeRounds();
let nextRound = 0;
let queue = [];
const nextMessage = () => {
  if (queue.length === 0) queue = round(nextRound++).reverse();
  return queue.pop();
};
const receive = (m) => ingestor.receive({ body: m.body, contentType: 'application/json', contentEncoding: 'utf-8' }, clock.now());

// Fill the State to its bound (each round brings ~250 new tasks), with some churn on top.
while (state.tasks.size < Number(values.tasks) || nextRound < 60) receive(nextMessage());

// Always on (re-enabling would count the idle gap as one huge delay); reset as a
// shutter starts and read as it ends: one p50/p99/max per shutter.
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
const windows = [];
const ms = (ns) => ns / 1e6;
const snapshotMs = [];
const shutterMs = [];
let openedAt = 0;
class MeasuredEngine extends ShutterEngine {
  capture() {
    loopDelay.reset();
    openedAt = performance.now();
    super.capture();
  }
}
class MeasuredFileCamera extends FileCamera {
  async onShutter(snapshot, ctx) {
    try {
      await super.onShutter(snapshot, ctx);
    } finally {
      windows.push({ p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max), samples: loopDelay.count });
      shutterMs.push(performance.now() - openedAt);
      if (shutterMs.length >= shutters) finish();
    }
  }
}
const host = {
  timer: new SystemTimer(clock),
  clock,
  takeSnapshot: (since, seq) => {
    const t0 = performance.now();
    const taken = state.snapshot(since, seq, clock.now());
    snapshotMs.push(performance.now() - t0);
    return taken;
  },
  hold: () => ingestor.hold(),
};
// Steady ingestion: a batch every 5 ms, as socket reads deliver them.
const perBatch = Math.max(1, Math.round((eventsPerSec / 1000) * 5 * (688 / eventsPerRound)));
const feeder = setInterval(() => { for (let i = 0; i < perBatch; i++) receive(nextMessage()); }, 5);
/** Events folded per second over `secs`, from the State's own count. */
async function ingestRate(secs) {
  const from = state.eventCount;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, secs * 1000));
  return ((state.eventCount - from) * 1000) / (performance.now() - t0);
}
const withoutCamera = await ingestRate(Math.min(shutters, 5));

const camera = new MeasuredEngine(new MeasuredFileCamera({
  name: 'file', options: fileCameraOptions.parse({ dir }), logger: silent, host,
}), host, { freq: 1 });
await camera.install();
const shutterPhase = { events: state.eventCount, at: performance.now() };

let finish;
const deadline = setTimeout(() => finish(), (shutters + 20) * 1000); // a failing camera must not hang the bench
await new Promise((resolve) => { finish = resolve; });
const withCamera = ((state.eventCount - shutterPhase.events) * 1000) / (performance.now() - shutterPhase.at);
clearTimeout(deadline);
clearInterval(feeder);
await camera.cancel();

// The synchronous parts on their own, at the same State size.
const buildMs = [];
const stringifyMs = [];
let bytes = 0;
for (let i = 0; i < (state.tasks.size > 100_000 ? 0 : 10); i++) {
  let t = performance.now();
  const { snapshot } = state.snapshot(0, i + 1, clock.now());
  buildMs.push(performance.now() - t);
  t = performance.now();
  bytes = JSON.stringify(snapshot).length;
  stringifyMs.push(performance.now() - t);
}
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({
  tasks: state.tasks.size, workers: state.workers.size, shutters: shutterMs.length, snapshotBytes: bytes,
  // Worst shutter's p99 is the figure held against the target; p50 is the median shutter's.
  loopDelayMs: { p50: summarize(windows.map((w) => w.p50)).median, p99: summarize(windows.map((w) => w.p99)).max,
    max: summarize(windows.map((w) => w.max)).max, p99ByShutter: summarize(windows.map((w) => w.p99)) },
  failures: camera.health.failures,
  ingestPerSec: { offered: eventsPerSec, withoutCamera, withCamera, ratio: withCamera / withoutCamera },
  shutterMs: summarize(shutterMs), takeSnapshotMs: summarize(snapshotMs),
  buildMs: summarize(buildMs), stringifyMs: summarize(stringifyMs),
})}\n`);
