// Fold benchmark (no broker): how fast the kernel's CeleryState folds a
// realistic stream, and how fast the whole ingest path (decode, check,
// Celery's receiver adjustments, fold) takes raw message bodies. Run as its own
// process by run.mjs; prints one JSON line.
//
//   node bench/fold.mjs [--events 1000000] [--runs 5]
import { parseArgs } from 'node:util';
import { CeleryState, Ingestor } from 'evcam-kernel';
import { makeRounds, messagesFor } from './lib/stream.mjs';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const { messages: messageCount, events: eventCount } = messagesFor(Number(values.events));
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child() { return silent; } };

// The stream's raw bodies, with receive times one event-gap apart.
const { round } = makeRounds();
const bodies = [];
for (let r = 0; bodies.length < messageCount; r++) {
  for (const m of round(r)) if (bodies.length < messageCount) bodies.push(m.body);
}
const receivedAt = (i) => 1795514293 + i / 50_000;

/** Receiver-adjusted events, as the State receives them (captured through the real Ingestor). */
function adjustedEvents() {
  const events = [];
  const recorder = { event: (ev) => events.push(ev) };
  const ingestor = new Ingestor(recorder, silent, { localUtcoffset: () => 0 });
  for (let i = 0; i < bodies.length; i++) {
    ingestor.receive({ body: bodies[i], contentType: 'application/json', contentEncoding: 'utf-8' }, receivedAt(i));
  }
  return events;
}

function foldRun(events) {
  const state = new CeleryState({}, silent);
  const t0 = performance.now();
  for (let i = 0; i < events.length; i++) state.event(events[i]);
  const secs = (performance.now() - t0) / 1000;
  return { eventsPerSec: events.length / secs, tasks: state.tasks.size, workers: state.workers.size };
}

function ingestRun() {
  const state = new CeleryState({}, silent);
  const ingestor = new Ingestor(state, silent, { localUtcoffset: () => 0 });
  const t0 = performance.now();
  for (let i = 0; i < bodies.length; i++) {
    ingestor.receive({ body: bodies[i], contentType: 'application/json', contentEncoding: 'utf-8' }, receivedAt(i));
  }
  const secs = (performance.now() - t0) / 1000;
  return { eventsPerSec: ingestor.metrics.folded / secs, messagesPerSec: bodies.length / secs };
}

const events = adjustedEvents();
if (events.length !== eventCount) throw new Error(`expected ${eventCount} events, captured ${events.length}`);
foldRun(events.slice(0, 100_000)); // warm-up: let the JIT settle before timing
const fold = [];
for (let i = 0; i < runs; i++) fold.push(foldRun(events));
events.length = 0;
ingestRun();
const ingest = [];
for (let i = 0; i < runs; i++) ingest.push(ingestRun());
process.stdout.write(`${JSON.stringify({ events: eventCount, messages: messageCount, fold, ingest })}\n`);
