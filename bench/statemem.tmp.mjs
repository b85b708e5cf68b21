import { CeleryState, Ingestor } from 'evcam-kernel';
import { makeRounds, messagesFor } from './lib/stream.mjs';
import v8 from 'node:v8';
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child() { return silent; } };
const { round } = makeRounds();
const state = new CeleryState({}, silent);
const ingestor = new Ingestor(state, silent, { localUtcoffset: () => 0 });
const mb = () => { gc(); gc(); return (process.memoryUsage().heapUsed / 2 ** 20).toFixed(1); };
const base = mb();
let n = 0;
for (let r = 0; n < 340000; r++) for (const m of round(r)) { ingestor.receive({ body: m.body, contentType: 'application/json', contentEncoding: 'utf-8' }, 1795514293 + n / 5e4); n++; }
console.log('base', base, 'state', mb(), 'tasks', state.tasks.size);
const s = state.snapshot(0, 1, 1795514293);
console.log('with dicts+snapshot', mb());
const j = JSON.stringify(s.snapshot); console.log('json len', j.length, mb());
let sz=0, cnt=0; for (const t of state.tasks.values()) { for (const k of ['args','kwargs','result','traceback','exception','name']) if (typeof t[k]==='string') sz+=t[k].length; cnt++; }
console.log('string chars in tasks', sz, 'avg/task', sz/cnt);
