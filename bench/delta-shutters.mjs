// Shutter work of the S3 (delta mode) and Elasticsearch cameras at scale, before and after
// issue 15 item 3: 100k tasks held, 1k changed per shutter, the kernel's real State and lazy view.
// "before" is what those cameras computed per shutter until then (S3: JSON.stringify of the whole
// snapshot for latest.json + Object.keys(tasks) for removed; ES: a scan of every task for the
// summary counts); "after" is what they compute now. Network I/O excluded (same in both).
// node bench/delta-shutters.mjs [tasks] [changed]
import { CeleryState } from 'evcam-kernel';
import { deltaDocument } from '../plugins/camera-s3/dist/documents.js';
import { countTasks } from '../plugins/camera-elasticsearch/dist/documents.js';
import { StateCounts } from '../plugins/camera-elasticsearch/dist/state-counts.js';

const HELD = Number(process.argv[2] ?? 100_000);
const CHANGED = Number(process.argv[3] ?? 1_000);
const state = new CeleryState({ maxTasksInMemory: HELD * 2 });
let t = 1_795_500_000;
const uuid = (i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const fold = (type, i) => state.event({ type, uuid: uuid(i), hostname: 'w1@lab', timestamp: (t += 0.001), local_received: t, clock: i,
  name: 'app.add', args: `(${i}, 1)`, kwargs: '{}', result: String(i + 1), runtime: 0.01 });
for (let i = 0; i < HELD; i++) { fold('task-received', i); fold('task-succeeded', i); }
const counts = new StateCounts();
let taken = state.snapshot(0, 1, t);
counts.apply(taken.snapshot); counts.stored();
const ms = (f) => { const s = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - s) / 1e6; };
const rows = { s3Before: [], s3After: [], esBefore: [], esAfter: [] };
for (let seq = 2; seq <= 8; seq++) {
  const since = taken.cut; taken.release();
  for (let j = 0; j < CHANGED; j++) fold('task-started', (seq * CHANGED + j) % HELD);
  taken = state.snapshot(since, seq, t);
  const s = taken.snapshot;
  rows.s3After.push(ms(() => JSON.stringify(deltaDocument(s, { tasks: s.changed.tasks, workers: s.changed.workers,
    removedTasks: s.removed.tasks, removedWorkers: s.removed.workers }, { seq: 1, key: 'k' }))));
  rows.esAfter.push(ms(() => { counts.apply(s); counts.toObject(); counts.stored(); }));
  // Fresh cuts for "before": the lazy view caches its full map once built.
  const before = state.snapshot(since, seq, t).snapshot;
  rows.s3Before.push(ms(() => { JSON.stringify(before); new Set(Object.keys(before.tasks)); }));
  const before2 = state.snapshot(since, seq, t).snapshot;
  rows.esBefore.push(ms(() => countTasks(before2)));
}
const median = (a) => a.slice(1).sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)];
console.log(JSON.stringify({ held: HELD, changed: CHANGED, medianMs: Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, +median(v).toFixed(2)])) }));
