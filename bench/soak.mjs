// `npm run soak`: push 1M distinct task uuids (about 4M events) through the
// real kernel at defaults (10k-task LRU, 1 s file camera) over a private
// RabbitMQ vhost, sampling its RSS every second. Once the State is at its LRU
// bound, RSS must stay flat: after a warm-up fifth, the second half's peak
// within 10 % of the first half's. Prints a summary and writes bench/results/soak.json.
//
//   npm run soak [-- --tasks 1000000]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeRounds } from './lib/stream.mjs';
import { createVhost } from './lib/rabbit.mjs';
import { ROOT, runNode, startKernel } from './lib/processes.mjs';
import { machine } from './lib/machine.mjs';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '1000000' } } });
const wantedTasks = Number(values.tasks);
const { round, messagesPerRound, eventsPerRound } = makeRounds();
const tasksPerRound = new Set(round(0).flatMap((m) => {
  const body = JSON.parse(m.body.toString());
  return (Array.isArray(body) ? body : [body]).filter((e) => e.uuid).map((e) => e.uuid);
})).size;
const rounds = Math.ceil(wantedTasks / tasksPerRound);
const messages = rounds * messagesPerRound;
const events = rounds * eventsPerRound;

const log = (msg) => process.stderr.write(`[soak] ${msg}\n`);
const workDir = mkdtempSync(join(os.tmpdir(), 'evcam-soak-'));
const broker = createVhost();
process.once('SIGINT', () => { broker.remove(); rmSync(workDir, { recursive: true, force: true }); process.exit(130); });
const samples = [];
try {
  log(`${rounds * tasksPerRound} distinct tasks, ${events} events in ${messages} messages`);
  const kernel = startKernel(['-b', broker.url, '--queue', 'soak', '--limit', String(events), '--camera', 'file',
    '--camera-option', `dir=${join(workDir, 'snapshots')}`, '-F', '1'], { workDir, timeoutMs: 3_600_000 });
  await kernel.ready;
  const t0 = Date.now();
  const sampler = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${kernel.child.pid}/status`, 'utf8');
      samples.push({ secs: (Date.now() - t0) / 1000, rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024 });
    } catch { /* exited */ }
  }, 1000);
  const published = await runNode('bench/publish.mjs', ['--url', broker.url, '--messages', String(messages), '--queue', 'soak'], { timeoutMs: 3_600_000 });
  const done = await kernel.result;
  clearInterval(sampler);
  // The first fifth is warm-up (the State filling to its bound, V8 sizing its heap); compare the rest's halves.
  const settled = samples.slice(Math.floor(samples.length / 5));
  const half = settled.length >> 1;
  const peak = (list) => Math.max(...list.map((s) => s.rssMb));
  const firstHalf = peak(settled.slice(0, half));
  const secondHalf = peak(settled.slice(half));
  const result = {
    when: new Date().toISOString(), machine: machine(), tasks: rounds * tasksPerRound, events: done.folded,
    publishSecs: published.secs, foldedPerSec: done.eventsPerSec, peakRssMb: done.maxRssKb / 1024,
    firstHalfPeakMb: firstHalf, secondHalfPeakMb: secondHalf, growth: (secondHalf - firstHalf) / firstHalf,
    flat: secondHalf <= firstHalf * 1.1, samples,
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/soak.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`soak: ${result.tasks} tasks, ${result.events} events at ${Math.round(result.foldedPerSec)} events/s; ` +
    `RSS peak ${firstHalf.toFixed(1)} MB (settled, first half) → ${secondHalf.toFixed(1)} MB (second half), ` +
    `${(result.growth * 100).toFixed(1)} %: ${result.flat ? 'flat' : 'GROWING'}\n`);
  process.exitCode = result.flat ? 0 : 1;
} finally {
  broker.remove();
  rmSync(workDir, { recursive: true, force: true });
}
