// Issue 7's targets, the verdicts and the markdown table.

export const TARGETS = {
  ingestRatio: 0.85,          // kernel events/s ≥ 0.85 × bare amqplib consumer's, same run, same acks
  foldEventsPerSec: 500_000,  // CeleryState fold
  peakRssMb: 110,             // at defaults (10k tasks), 2M events
  rssGrowth: 0.10,            // 500k → 2M events
  shutterP99Ms: 20,           // event-loop delay during shutters at 10k tasks
  cameraRatio: 0.90,          // ingest with 1 s file shutters ≥ 90 % of without
  sqlShutterPgMs: 250,        // one shutter of 10k changed tasks into PostgreSQL
  sqlShutterSqliteMs: 150,    // the same into SQLite
  sqlQueryMs: 100,            // each documented history query on 1M task rows
  // issue 15 item 4 (cpu part): whole-process CPU per event draining one pre-filled queue
  cpuVsBare: 2,               // kernel (acks, 1 s file camera) / bare amqplib no-ack reader
  cpuVsPython: 0.10,          // kernel / Python evcam (Celery's EventReceiver + State + Polaroid)
  speedVsPython: 5,           // kernel drain events/s / Python evcam's
  startupCpuSecs: 0.25,       // `replay` of a 1k-event fixture, whole process
  // issue 15 (scale part): replay of a generated 1M-task stream, --max-tasks-in-memory 1000000
  scaleNullRatio: 1.10,       // 1 s shutters, camera that stores nothing / no shutters
  scaleFileRatio: 1.35,       // 1 s file camera / no shutters
  scaleFileRssMb: 1200,       // peak RSS with the file camera
  scaleCelerySpeedup: 8,      // Celery's State time / evcam with the file camera
  scaleCeleryRssShare: 0.25,  // evcam's peak RSS / Celery's
  scaleStallP99Ms: 20,        // 1M tasks in memory, 20k events/s, 1 s file camera: loop delay p99 during shutters
  scaleIngestRatio: 0.90,     // the same: events folded per second with the camera / without
};

/** Verdicts for the parts that ran (EVCAM_BENCH_ONLY may leave some out). */
export function judge(r) {
  const t = TARGETS;
  const verdicts = [];
  if (r.ingest) {
    verdicts.push({ what: 'ingest ratio', pass: r.ingest.ratio.median >= t.ingestRatio });
    verdicts.push({ what: 'ingest ratio, acked', pass: r.ingest.ackedRatio.median >= t.ingestRatio });
  }
  if (r.fold) verdicts.push({ what: 'fold', pass: r.fold.stateEventsPerSec.median >= t.foldEventsPerSec });
  if (r.memory) {
    verdicts.push({ what: 'peak RSS', pass: r.memory.peakRssMb2M.median <= t.peakRssMb && r.memory.peakRssMb500k.median <= t.peakRssMb });
    verdicts.push({ what: 'RSS growth', pass: r.memory.growth.median <= t.rssGrowth });
  }
  if (r.shutter) verdicts.push({ what: 'shutter stall', pass: r.shutter.loopDelayMs.p99 <= t.shutterP99Ms });
  if (r.ingest) verdicts.push({ what: 'ingest with shutters', pass: r.ingest.cameraRatio.median >= t.cameraRatio });
  if (r.sql) {
    verdicts.push({ what: 'sql shutter postgres', pass: r.sql.postgres.shutter.ms.median <= t.sqlShutterPgMs });
    verdicts.push({ what: 'sql shutter sqlite', pass: r.sql.sqlite.shutter.ms.median <= t.sqlShutterSqliteMs });
    for (const db of ['postgres', 'sqlite']) {
      verdicts.push({ what: `sql queries ${db}`, pass: Object.values(r.sql[db].queries).every((q) => q.ms.median <= t.sqlQueryMs) });
    }
  }
  if (r.cpu) {
    verdicts.push({ what: 'cpu vs bare', pass: r.cpu.cpuVsBare <= t.cpuVsBare });
    verdicts.push({ what: 'cpu vs python', pass: r.cpu.cpuVsPython <= t.cpuVsPython });
    verdicts.push({ what: 'speed vs python', pass: r.cpu.speedVsPython >= t.speedVsPython });
    verdicts.push({ what: 'start-up cpu', pass: r.cpu.startup.replayCpuSecs <= t.startupCpuSecs });
  }
  if (r.scale) {
    const s = r.scale;
    verdicts.push({ what: 'scale: null shutters', pass: s.nullCpuRatio <= t.scaleNullRatio });
    verdicts.push({ what: 'scale: file shutters', pass: s.fileCpuRatio <= t.scaleFileRatio });
    verdicts.push({ what: 'scale: file RSS', pass: s.fileShutters.peakRssMb.median <= t.scaleFileRssMb });
    if (s.celery) {
      verdicts.push({ what: 'scale: vs Celery speed', pass: s.cpuSpeedup >= t.scaleCelerySpeedup });
      verdicts.push({ what: 'scale: vs Celery RSS', pass: s.rssShare <= t.scaleCeleryRssShare });
      verdicts.push({ what: 'scale: equals Celery', pass: s.celery.differing === 0 && s.celery.extra === 0 });
    }
    if (s.live) {
      verdicts.push({ what: 'scale: live stall', pass: s.live.loopDelayMs.p99 <= t.scaleStallP99Ms });
      verdicts.push({ what: 'scale: live ingest', pass: s.live.ingestPerSec.ratio >= t.scaleIngestRatio });
    }
    verdicts.push({ what: 'start-up CPU', pass: s.startup.cpuSecs.median <= t.startupCpuSecs });
  }
  return verdicts;
}

const k = (n) => `${Math.round(n / 1000)}k`;
const mb = (n) => `${n.toFixed(1)} MB`;
const pct = (n) => `${(n * 100).toFixed(1)} %`;
const ms = (n) => `${n.toFixed(1)} ms`;
const range = (s, f) => (s.runs > 1 ? `${f(s.min)}–${f(s.max)}` : '(1 run)');

export function table(r) {
  const v = Object.fromEntries(r.verdicts.map((x) => [x.what, x.pass ? 'pass' : '**FAIL**']));
  const t = TARGETS;
  const i = r.ingest;
  const m = r.machine;
  const rows = [];
  if (r.fold) {
    rows.push(['Fold: CeleryState, 1M events, no broker', `${k(r.fold.stateEventsPerSec.median)} events/s`, range(r.fold.stateEventsPerSec, k), `≥ ${k(t.foldEventsPerSec)}/s`, v.fold]);
    rows.push(['Fold + decode (whole ingest path), no broker', `${k(r.fold.ingestPathEventsPerSec.median)} events/s`, range(r.fold.ingestPathEventsPerSec, k), '', '']);
  }
  if (i) {
    const ratio = (x) => x.toFixed(2);
    rows.push([`Ingest: bare amqplib no-ack reader, ${k(i.messagesPerRun)} msgs (${k(i.eventsPerRun)} events)`, `${k(i.bareEventsPerSec.median)} events/s`, range(i.bareEventsPerSec, k), '', '']);
    rows.push(['Ingest: kernel, Celery\'s no-ack consumption (--queue --acks none)', `${k(i.kernelNoAckEventsPerSec.median)} events/s`, range(i.kernelNoAckEventsPerSec, k), '', '']);
    rows.push(['Ingest: kernel / bare, no acks (same run)', ratio(i.ratio.median), range(i.ratio, ratio), `≥ ${t.ingestRatio}`, v['ingest ratio']]);
    rows.push(['Ingest: bare reader acking as the kernel does (prefetch 2000, every 256)', `${k(i.bareAckedEventsPerSec.median)} events/s`, range(i.bareAckedEventsPerSec, k), '', '']);
    rows.push(['Ingest: kernel, default no-loss consumption (--queue, acked after folding)', `${k(i.kernelEventsPerSec.median)} events/s`, range(i.kernelEventsPerSec, k), '', '']);
    rows.push(['Ingest: kernel / bare, both acking (same run)', ratio(i.ackedRatio.median), range(i.ackedRatio, ratio), `≥ ${t.ingestRatio}`, v['ingest ratio, acked']]);
    rows.push(['Ingest: the broker\'s ack cost: bare acking / bare no-ack', ratio(i.ackCost.median), range(i.ackCost, ratio), '', '']);
    rows.push(['Ingest: kernel default (acked) / bare no-ack', ratio(i.defaultVsBare.median), range(i.defaultVsBare, ratio), '', '']);
  }
  if (r.memory) {
    rows.push(['Memory: peak RSS at 500k events (defaults)', mb(r.memory.peakRssMb500k.median), range(r.memory.peakRssMb500k, mb), `≤ ${t.peakRssMb} MB`, '']);
    rows.push(['Memory: peak RSS at 2M events (defaults)', mb(r.memory.peakRssMb2M.median), range(r.memory.peakRssMb2M, mb), `≤ ${t.peakRssMb} MB`, v['peak RSS']]);
    rows.push(['Memory: growth 500k → 2M', pct(r.memory.growth.median), range(r.memory.growth, pct), `≤ ${pct(t.rssGrowth)}`, v['RSS growth']]);
  }
  if (r.shutter) {
    rows.push(['Shutter: loop delay p50 / p99 (10k tasks)', `${ms(r.shutter.loopDelayMs.p50)} / ${ms(r.shutter.loopDelayMs.p99)}`, `max ${ms(r.shutter.loopDelayMs.max)}`, `p99 ≤ ${t.shutterP99Ms} ms`, v['shutter stall']]);
  }
  if (i) {
    rows.push(['Shutter: ingest with 1 s file camera', `${k(i.cameraEventsPerSec.median)} events/s`, range(i.cameraEventsPerSec, k), '', '']);
    rows.push(['Shutter: with / without camera', pct(i.cameraRatio.median), range(i.cameraRatio, pct), `≥ ${pct(t.cameraRatio)}`, v['ingest with shutters']]);
  }
  if (r.sql) {
    for (const [db, target] of [['postgres', t.sqlShutterPgMs], ['sqlite', t.sqlShutterSqliteMs]]) {
      const sh = r.sql[db].shutter;
      const cpu = sh.cpuMs ? `; CPU ${ms(sh.cpuMs.median)}${db === 'postgres' ? ' incl. server' : ''}` : '';
      rows.push([`SQL: ${db}, one shutter of 10k changed tasks (upserts${cpu})`, ms(sh.ms.median), range(sh.ms, ms), `≤ ${target} ms`, v[`sql shutter ${db}`]]);
    }
    for (const db of ['postgres', 'sqlite']) {
      const qs = Object.entries(r.sql[db].queries);
      const worst = Math.max(...qs.map(([, q]) => q.ms.median));
      const detail = qs.map(([id, q]) => `${id} ${q.ms.median.toFixed(1)}`).join(', ');
      rows.push([`SQL: ${db}, documented queries on ${k(r.sql.rows)} rows (worst median; ${detail})`, ms(worst), '', `≤ ${t.sqlQueryMs} ms each`, v[`sql queries ${db}`]]);
    }
  }
  if (r.scale) rows.push(...scaleRows(r.scale, t, v));
  if (r.cpu) rows.push(...cpuRows(r.cpu, t, v));
  return [
    `evcam bench — ${r.when} — ${m.nproc} × ${m.cpu}, ${m.memoryGb} GB, Node ${m.node}, RabbitMQ ${m.rabbitmq}, amqplib ${m.amqplib} (${Math.round(r.totalSecs)} s)`,
    '',
    '| measure | median | min–max | target | |',
    '|---|---:|---:|---:|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/** Issue 15's rows: one generated stream, every party a process of its own; times as process CPU (the box is shared) and wall. */
function scaleRows(s, t, v) {
  const x = (n) => `${n.toFixed(2)}×`;
  const secs = (n) => `${n.toFixed(1)} s`;
  const cpu = (p) => p.runs.reduce((a, r) => a + r.cpuSecs, 0) / p.runs.length;
  const n = `${k(s.stream.tasks)} tasks, ${k(s.stream.events)} events`;
  const rows = [
    [`Scale: replay ${n}, no shutters (CPU / wall)`, `${secs(cpu(s.noShutters))} / ${secs(s.noShutters.wallSecs.median)}`, `${mb(s.noShutters.peakRssMb.median)} peak`, '', ''],
    ['Scale: 1 s shutters, camera storing nothing / no shutters (CPU; wall)', `${x(s.nullCpuRatio)}; ${x(s.nullRatio)}`, `${s.nullShutters.runs[0].shutters} shutters`, `≤ ${x(t.scaleNullRatio)}`, v['scale: null shutters']],
    ['Scale: 1 s file camera / no shutters (CPU; wall)', `${x(s.fileCpuRatio)}; ${x(s.fileRatio)}`, `${s.fileShutters.runs[0].shutters} shutters`, `≤ ${x(t.scaleFileRatio)}`, v['scale: file shutters']],
    ['Scale: peak RSS, file camera', mb(s.fileShutters.peakRssMb.median), '', `≤ ${t.scaleFileRssMb} MB`, v['scale: file RSS']],
  ];
  if (s.celery) {
    rows.push(['Scale: Celery\'s State, same stream (CPU / wall, peak RSS)', `${secs(s.celery.cpuSecs)} / ${secs(s.celery.wallSecs)}`, mb(s.celery.maxRssKb / 1024), '', '']);
    rows.push(['Scale: Celery / evcam with file camera (CPU; wall)', `${x(s.cpuSpeedup)}; ${x(s.speedup)}`, '', `≥ ${x(t.scaleCelerySpeedup)}`, v['scale: vs Celery speed']]);
    rows.push(['Scale: evcam (file camera) / Celery peak RSS', pct(s.rssShare), '', `≤ ${pct(t.scaleCeleryRssShare)}`, v['scale: vs Celery RSS']]);
    rows.push(['Scale: final snapshot vs Celery, tasks differing', `${s.celery.differing} of ${s.celery.tasks}`, `${s.celery.extra} extra`, '0', v['scale: equals Celery']]);
  }
  if (s.live) {
    const l = s.live;
    const at = `${k(l.tasks)} tasks, ${k(l.ingestPerSec.offered)} events/s offered`;
    rows.push([`Scale: shutter loop delay p50 / worst p99 (${at}, 1 s file camera, no broker)`, `${l.loopDelayMs.p50.toFixed(1)} ms / ${l.loopDelayMs.p99.toFixed(1)} ms`,
      `max ${l.loopDelayMs.max.toFixed(1)} ms, ${l.shutters} shutters`, `p99 ≤ ${t.scaleStallP99Ms} ms`, v['scale: live stall']]);
    rows.push([`Scale: ingest with / without the file camera (${at})`, pct(l.ingestPerSec.ratio),
      `${k(l.ingestPerSec.withCamera)} vs ${k(l.ingestPerSec.withoutCamera)} events/s`, `≥ ${pct(t.scaleIngestRatio)}`, v['scale: live ingest']]);
  }
  rows.push(['Start-up: replay of the 1k-event fixture, whole process CPU', secs(s.startup.cpuSecs.median), range(s.startup.cpuSecs, secs), `≤ ${secs(t.startupCpuSecs)}`, v['start-up CPU']]);
  return rows;
}

/** Issue 15 item 4's rows: whole-process CPU per event (start-up included) and drain speed, one run each. */
function cpuRows(c, t, v) {
  const us = (n) => `${n.toFixed(1)} µs`;
  const x = (n) => `${n.toFixed(2)}×`;
  const eps = (p) => `${Math.round(p.eventsPerSec)}/s`;
  const who = `${Math.round(c.events / 1000)}k events; kernel ${us(c.kernel.cpuUsPerEvent)}, bare ${us(c.bare.cpuUsPerEvent)}, Python ${us(c.python.cpuUsPerEvent)}; load ${c.loadavg.join(' ')}`;
  return [
    ['CPU/event: kernel (acks, 1 s file camera) / bare no-ack reader', x(c.cpuVsBare), who, `≤ ${x(t.cpuVsBare)}`, v['cpu vs bare']],
    ['CPU/event: kernel / Python evcam', x(c.cpuVsPython), '', `≤ ${x(t.cpuVsPython)}`, v['cpu vs python']],
    ['Drain speed: kernel / Python evcam', x(c.speedVsPython), `kernel ${eps(c.kernel)}, bare ${eps(c.bare)}, Python ${eps(c.python)}`, `≥ ${x(t.speedVsPython)}`, v['speed vs python']],
    ['Start-up: replay of a 1k-event fixture (CPU)', `${c.startup.replayCpuSecs.toFixed(2)} s`, `--help ${c.startup.helpCpuSecs.toFixed(2)} s`, `≤ ${t.startupCpuSecs} s`, v['start-up cpu']],
  ];
}
