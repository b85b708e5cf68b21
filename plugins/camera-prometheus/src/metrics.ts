import type { FoldedEvent, Logger } from '@evcam/camera-api';
import { formatNumber, HistogramChild, leLabels } from './histogram.js';
import { escapeLabel, exceptionClass, hostnameGrouper, LabelTable } from './labels.js';
import type { PrometheusCameraOptions } from './options.js';
import { ETA, NAME, parseEta, Phase, PHASE, QUEUE, RECEIVED, SENT, STARTED, STRIDE, TaskTable } from './task-table.js';
import { WorkerRecord } from './workers.js';

/** The task-event counters, in celery-exporter's order. */
const COUNTERS = ['sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected'] as const;
type CounterName = (typeof COUNTERS)[number];

const HELP: Record<CounterName, string> = {
  sent: 'Sent when a task message is published.',
  received: 'Sent when the worker receives a task.',
  started: 'Sent just before the worker executes the task.',
  succeeded: 'Sent if the task executed successfully.',
  failed: 'Sent if the execution of the task failed.',
  retried: 'Sent if the task failed, but will be retried in the future.',
  revoked: 'Sent if the task has been revoked.',
  rejected: 'The task was rejected by the worker, possibly to be re-queued or moved to a dead letter queue.',
};

/** One (name, hostname, queue_name) label set: its counters and runtime histogram, labels pre-rendered. */
export class TaskSeries {
  sent = 0;
  received = 0;
  started = 0;
  succeeded = 0;
  retried = 0;
  revoked = 0;
  rejected = 0;
  /** task-failed counts by exception class index (parallel arrays: no object per failure). */
  readonly failedExceptions: number[] = [];
  readonly failedCounts: number[] = [];
  /** Seen by a worker-side event: its counters are exposed at 0 too, as celery-exporter does. */
  workerSide = false;
  runtime: HistogramChild | null = null;

  constructor(readonly labels: string, readonly labelsPrefix: string, readonly host: number) {}

  failed(exception: number): void {
    const list = this.failedExceptions;
    for (let i = 0; i < list.length; i++) {
      if (list[i] === exception) { this.failedCounts[i]++; return; }
    }
    list.push(exception);
    this.failedCounts.push(1);
  }
}

/** Queue wait of one (name, queue_name): since task-sent and since task-received. */
class WaitSeries {
  constructor(readonly labelsPrefix: string, readonly sent: HistogramChild, readonly received: HistogramChild) {}
}

const MAX_EXCEPTION_CACHE = 1024;

const hostnameOf = (value: unknown): string => (typeof value === 'string' ? value : '');
const timeOf = (value: unknown): number => (typeof value === 'number' ? value : NaN);

/** Appends to one string (V8 concatenates lazily, then flattens once on write). */
class TextOut {
  text = '';
  push(a: string, b?: string): void {
    this.text += a;
    if (b !== undefined) this.text += b;
  }
}

/**
 * The cluster's metrics, counted event by event (onEvent) and rendered in the
 * Prometheus text format on scrape. Counting a known label set allocates nothing:
 * label values are interned to indexes, series are found through arrays indexed by
 * them, and a task's timings live in the TaskTable's typed arrays.
 */
export class ClusterMetrics {
  readonly names: LabelTable;
  readonly hosts: LabelTable;
  readonly queues: LabelTable;
  readonly exceptions: LabelTable;
  readonly tasks: TaskTable;
  readonly workers = new Map<string, WorkerRecord>();
  /** Every task series, in creation order (the render order). */
  series: TaskSeries[] = [];
  /** series by name index, then host index * queueStride + queue index. */
  private seriesIndex: (TaskSeries | undefined)[][] = [];
  private readonly waits: (WaitSeries | undefined)[][] = [];
  private readonly waitList: WaitSeries[] = [];
  private readonly queueStride: number;
  private readonly genericHost: number;
  private readonly unknownName: number;
  private readonly defaultQueue: number;
  /** exception string → class index, bounded (messages vary; classes do not). */
  private readonly exceptionCache = new Map<string, number>();
  /** Queue depths from the host (null: unknown to the broker), refreshed each shutter. */
  queueDepths: Record<string, number | null> = {};
  private overflowSeries: TaskSeries | null = null;
  /** Events counted in the all-"other" series because maxSeries was reached. */
  seriesOverflowCount = 0;
  private readonly runtimeLe: string[];
  private readonly waitLe: string[];
  private readonly p: string;

  constructor(private readonly options: PrometheusCameraOptions, private readonly logger: Logger, private readonly now: () => number) {
    this.names = new LabelTable(options.maxTaskNames);
    this.hosts = new LabelTable(options.maxHostnames, 'other', hostnameGrouper(options.hostnamePattern));
    this.queues = new LabelTable(options.maxQueues);
    this.exceptions = new LabelTable(options.maxExceptions);
    this.tasks = new TaskTable(options.maxTrackedTasks);
    this.queueStride = options.maxQueues + 1;
    this.unknownName = this.names.get('unknown');
    this.genericHost = -1;
    if (options.genericHostnameTaskSent || options.genericHostnameWorkerTask) this.genericHost = this.hosts.get('generic');
    this.defaultQueue = this.queues.get(options.defaultQueueName);
    for (const q of options.queues) this.queues.get(q);
    this.runtimeLe = leLabels(options.buckets).map((le) => `${le}"} `);
    this.waitLe = leLabels(options.queueWaitBuckets).map((le) => `${le}"} `);
    this.p = options.metricPrefix;
  }

  // ---- counting (the hot path) -------------------------------------------------------

  onEvent(ev: FoldedEvent): void {
    const type = ev.type;
    if (type.charCodeAt(0) === 116 /* t */) this.taskEvent(type, ev);
    else if (type === 'worker-heartbeat' || type === 'worker-online' || type === 'worker-offline') this.workerEvent(type, ev);
  }

  // Events arrive in many shapes (property access is megamorphic): each case reads only the fields it needs.
  private taskEvent(type: string, ev: FoldedEvent): void {
    const uuid = ev.uuid;
    if (typeof uuid !== 'string') return;
    const tasks = this.tasks;
    switch (type) {
      case 'task-sent': {
        const s = tasks.slot(uuid);
        const nameIdx = this.nameOf(s, ev.name);
        const queue = ev.queue;
        if (typeof queue === 'string') tasks.rec[s + QUEUE] = this.queues.get(queue);
        tasks.refs[s >> 2] = undefined; // name or queue may have changed
        tasks.rec[s + SENT] = timeOf(ev.timestamp);
        tasks.rec[s + ETA] = parseEta(ev.eta);
        tasks.advance(s, Phase.SENT);
        const host = this.options.genericHostnameTaskSent ? this.genericHost : this.hostOf(hostnameOf(ev.hostname));
        this.seriesFor(nameIdx, host, this.queueOf(s)).sent++;
        return;
      }
      case 'task-received': {
        const s = tasks.slot(uuid);
        const nameIdx = this.nameOf(s, ev.name);
        tasks.refs[s >> 2] = undefined;
        tasks.rec[s + RECEIVED] = timeOf(ev.timestamp);
        const eta = ev.eta;
        if (eta !== undefined) tasks.rec[s + ETA] = parseEta(eta);
        tasks.advance(s, Phase.RECEIVED);
        this.workerSeries(nameIdx, hostnameOf(ev.hostname), s).received++;
        return;
      }
      case 'task-started': {
        const s = tasks.slot(uuid);
        const nameIdx = this.nameOf(s, undefined);
        const at = timeOf(ev.timestamp);
        tasks.rec[s + STARTED] = at;
        tasks.advance(s, Phase.STARTED);
        this.observeWait(nameIdx, s, at);
        const hostname = hostnameOf(ev.hostname);
        this.workerSeries(nameIdx, hostname, s).started++;
        const worker = this.workers.get(hostname) ?? this.newWorker(hostname);
        worker.started++;
        if (at === at) worker.lastSeen = at; // the worker's clock: close enough to tell gone workers, and one field less to read
        return;
      }
      case 'task-succeeded': {
        const s = tasks.slot(uuid);
        tasks.advance(s, Phase.DONE);
        const series = this.workerSeries(this.nameOf(s, undefined), hostnameOf(ev.hostname), s);
        series.succeeded++;
        const runtime = ev.runtime;
        if (typeof runtime === 'number') (series.runtime ??= new HistogramChild(this.options.buckets)).observe(runtime);
        return;
      }
      case 'task-failed': {
        const s = tasks.slot(uuid);
        tasks.advance(s, Phase.DONE);
        this.workerSeries(this.nameOf(s, undefined), hostnameOf(ev.hostname), s).failed(this.exceptionOf(ev.exception));
        return;
      }
      case 'task-retried': {
        const s = tasks.slot(uuid);
        tasks.rec[s + PHASE] = Phase.RETRY;
        this.workerSeries(this.nameOf(s, undefined), hostnameOf(ev.hostname), s).retried++;
        return;
      }
      case 'task-revoked': {
        const s = tasks.slot(uuid);
        tasks.advance(s, Phase.DONE);
        this.workerSeries(this.nameOf(s, undefined), hostnameOf(ev.hostname), s).revoked++;
        return;
      }
      case 'task-rejected': {
        const s = tasks.slot(uuid);
        tasks.advance(s, Phase.DONE);
        this.workerSeries(this.nameOf(s, undefined), hostnameOf(ev.hostname), s).rejected++;
        return;
      }
      default:
        return; // task-* types Celery does not define (task-progress ...): folded by the State, not counted here
    }
  }

  /** The task's name index: from the event when it carries one, else remembered, else "unknown". */
  private nameOf(s: number, name: unknown): number {
    if (typeof name === 'string') return (this.tasks.rec[s + NAME] = this.names.get(name));
    const known = this.tasks.rec[s + NAME];
    return known < 0 ? this.unknownName : known;
  }

  private workerEvent(type: string, ev: FoldedEvent): void {
    const hostname = typeof ev.hostname === 'string' ? ev.hostname : '';
    const worker = this.workers.get(hostname) ?? this.newWorker(hostname);
    const at = typeof ev.local_received === 'number' ? ev.local_received : this.now();
    if (worker.observe(type, ev.processed, ev.pid, ev.active, ev.freq, at)) this.maybeWarnLoss(worker, at);
  }

  private newWorker(hostname: string): WorkerRecord {
    const worker = new WorkerRecord(hostname, this.hostOf(hostname));
    worker.lastSeen = this.now();
    this.workers.set(hostname, worker);
    return worker;
  }

  private maybeWarnLoss(worker: WorkerRecord, now: number): void {
    if (now - worker.lastWarnAt < this.options.lossWarnInterval) return;
    worker.lastWarnAt = now;
    const lost = worker.missing - worker.warnedMissing;
    worker.warnedMissing = worker.missing;
    this.logger.warn({
      hostname: worker.hostname, missing: worker.missing, newlyMissing: lost, expected: worker.expected,
      ratio: worker.expected > 0 ? worker.missing / worker.expected : 0,
    }, 'task-started events of this worker never reached evcam (its heartbeats count more started tasks than were folded): ' +
      "the event queue dropped them. Use no-loss mode (--queue NAME), raise receiver.queueTtl, or scale the consumer; see evcam_events_missing_total");
  }

  private hostOf(hostname: string): number {
    return this.hosts.get(hostname);
  }

  private queueOf(s: number): number {
    const q = this.tasks.rec[s + QUEUE];
    return q < 0 ? this.defaultQueue : q;
  }

  private workerSeries(nameIdx: number, hostname: string, s: number): TaskSeries {
    const tasks = this.tasks;
    const cached = tasks.refs[s >> 2];
    if (cached !== undefined && tasks.refs[(s >> 2) + 1] === hostname) return cached as TaskSeries;
    const host = this.options.genericHostnameWorkerTask ? this.genericHost : this.hostOf(hostname);
    const series = this.seriesFor(nameIdx, host, this.queueOf(s));
    series.workerSide = true;
    tasks.refs[s >> 2] = series;
    tasks.refs[(s >> 2) + 1] = hostname;
    return series;
  }

  private seriesFor(nameIdx: number, host: number, queue: number): TaskSeries {
    const byName = this.seriesIndex[nameIdx] ??= [];
    const key = host * this.queueStride + queue;
    const known = byName[key];
    if (known !== undefined) return known;
    if (this.series.length >= this.options.maxSeries) return this.overflow();
    const labels = `name="${this.names.escaped[nameIdx]}",hostname="${this.hosts.escaped[host]}",queue_name="${this.queues.escaped[queue]}"`;
    const series = new TaskSeries(labels, `{${labels}`, host);
    byName[key] = series;
    this.series.push(series);
    return series;
  }

  /** The one series every label set beyond maxSeries is counted in (the map stays bounded). */
  private overflow(): TaskSeries {
    this.seriesOverflowCount++;
    if (this.overflowSeries === null) {
      this.overflowSeries = new TaskSeries('name="other",hostname="other",queue_name="other"', '{name="other",hostname="other",queue_name="other"', -1);
      this.series.push(this.overflowSeries);
    }
    return this.overflowSeries;
  }

  private exceptionOf(exception: unknown): number {
    if (typeof exception !== 'string') return this.exceptions.get('UnknownException');
    const known = this.exceptionCache.get(exception);
    if (known !== undefined) return known;
    const idx = this.exceptions.get(exceptionClass(exception));
    if (this.exceptionCache.size >= MAX_EXCEPTION_CACHE) this.exceptionCache.clear();
    this.exceptionCache.set(exception, idx);
    return idx;
  }

  /** Queue wait up to task-started, less a deliberate delay (eta/countdown, retry backoff). */
  private observeWait(nameIdx: number, s: number, startedAt: number): void {
    if (startedAt !== startedAt) return;
    const tasks = this.tasks;
    const sent = tasks.rec[s + SENT];
    const received = tasks.rec[s + RECEIVED];
    if (sent !== sent && received !== received) return;
    const queue = this.queueOf(s);
    const byName = this.waits[nameIdx] ??= [];
    let wait = byName[queue];
    if (wait === undefined) {
      const prefix = `{name="${this.names.escaped[nameIdx]}",queue_name="${this.queues.escaped[queue]}"`;
      wait = new WaitSeries(prefix, new HistogramChild(this.options.queueWaitBuckets), new HistogramChild(this.options.queueWaitBuckets));
      byName[queue] = wait;
      this.waitList.push(wait);
    }
    const eta = tasks.rec[s + ETA];
    // Clock skew between client and worker can make a wait negative: it is 0.
    if (sent === sent) wait.sent.observe(Math.max(0, startedAt - (eta > sent ? eta : sent)));
    if (received === received) wait.received.observe(Math.max(0, startedAt - (eta > received ? eta : received)));
  }

  // ---- housekeeping (each shutter) ----------------------------------------------------

  /** Remove the series of hostname labels not heard from for purgeOfflineWorkerMetrics seconds. */
  purgeGoneWorkers(now: number): string[] {
    const after = this.options.purgeOfflineWorkerMetrics;
    if (!(after > 0)) return [];
    // A hostname label is gone when every worker behind it is (heartbeats and task-started both count).
    const lastSeen = new Map<number, number>();
    for (const worker of this.workers.values()) {
      const last = worker.lastSeen === worker.lastSeen ? worker.lastSeen : -Infinity;
      lastSeen.set(worker.group, Math.max(lastSeen.get(worker.group) ?? -Infinity, last));
    }
    const gone = new Set<number>();
    for (const [group, last] of lastSeen) if (now - last > after) gone.add(group);
    if (gone.size === 0) return [];
    for (const [hostname, worker] of this.workers) if (gone.has(worker.group)) this.workers.delete(hostname);
    this.tasks.forgetSeries();
    this.series = this.series.filter((series) => !gone.has(series.host));
    this.seriesIndex = this.seriesIndex.map((byName) => {
      if (byName === undefined) return byName;
      for (let key = 0; key < byName.length; key++) {
        const series = byName[key];
        if (series !== undefined && gone.has(series.host)) byName[key] = undefined;
      }
      return byName;
    });
    return [...gone].map((g) => this.hosts.values[g]);
  }

  /** Queues to ask the broker about: learned from task-sent events and the `queues` option. */
  knownQueues(): string[] {
    return this.queues.values.filter((q) => q !== 'other');
  }

  // ---- rendering (on scrape) ----------------------------------------------------------

  /** The whole exposition, in the Prometheus text format 0.0.4. */
  render(now: number): string {
    const out = new TextOut();
    this.renderTaskCounters(out);
    this.renderRuntime(out);
    this.renderWaits(out);
    this.renderTaskGauges(out, now);
    this.renderWorkers(out, now);
    this.renderQueues(out);
    return out.text;
  }

  private header(out: TextOut, name: string, type: string, help: string): void {
    out.push(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`);
  }

  private renderTaskCounters(out: TextOut): void {
    const p = this.p;
    for (const counter of COUNTERS) {
      const family = `${p}task_${counter}`;
      this.header(out, `${family}_total`, 'counter', HELP[counter]);
      const line = `${family}_total{`;
      for (const series of this.series) {
        if (counter === 'failed') {
          if (!series.workerSide) continue;
          const exc = series.failedExceptions;
          if (exc.length === 0) out.push(`${line}${series.labels},exception=""} 0\n`);
          for (let i = 0; i < exc.length; i++) {
            out.push(`${line}${series.labels},exception="${this.exceptions.escaped[exc[i]]}"} ${series.failedCounts[i]}\n`);
          }
          continue;
        }
        const value = series[counter];
        // task-sent series exist only when counted (clients' hostnames are many); the rest at 0 too
        if (counter === 'sent' ? value === 0 : !series.workerSide) continue;
        out.push(`${line}${series.labels}} ${value}\n`);
      }
    }
  }

  private renderHistogram(out: TextOut, family: string, prefix: string, h: HistogramChild, le: string[]): void {
    // One string per histogram: the bucket prefix is built once, `le="..."} ` comes pre-rendered.
    const bucket = `${family}_bucket${prefix},le="`;
    let text = '';
    let cumulative = 0;
    for (let i = 0; i < le.length; i++) {
      cumulative += h.counts[i];
      text += bucket + le[i] + cumulative + '\n';
    }
    out.push(text, `${family}_sum${prefix}} ${formatNumber(h.sum)}\n${family}_count${prefix}} ${h.count}\n`);
  }

  private renderRuntime(out: TextOut): void {
    const family = `${this.p}task_runtime`;
    this.header(out, family, 'histogram', 'Histogram of task runtime measurements.');
    for (const series of this.series) {
      if (series.runtime !== null) this.renderHistogram(out, family, series.labelsPrefix, series.runtime, this.runtimeLe);
    }
  }

  private renderWaits(out: TextOut): void {
    const family = `${this.p}task_queue_wait_seconds`;
    this.header(out, family, 'histogram',
      'Time from task-sent (since="sent") or task-received (since="received") to task-started, less a deliberate eta/countdown delay.');
    for (const wait of this.waitList) {
      if (wait.sent.count > 0) this.renderHistogram(out, family, `${wait.labelsPrefix},since="sent"`, wait.sent, this.waitLe);
      if (wait.received.count > 0) this.renderHistogram(out, family, `${wait.labelsPrefix},since="received"`, wait.received, this.waitLe);
    }
  }

  /** Gauges computed from the task table: tasks stuck in STARTED, oldest waiting task per queue. */
  private renderTaskGauges(out: TextOut, now: number): void {
    const tasks = this.tasks;
    const stuck = new Float64Array(this.names.size);
    const oldest = new Float64Array(this.queues.size).fill(Infinity);
    const stuckBefore = now - this.options.stuckAfter;
    for (let s = 0; s < tasks.rec.length; s += STRIDE) {
      const phase = tasks.rec[s + PHASE];
      if (phase === Phase.STARTED) {
        if (tasks.rec[s + STARTED] < stuckBefore) stuck[tasks.rec[s + NAME] < 0 ? this.unknownName : tasks.rec[s + NAME]]++;
      } else if (phase === Phase.SENT || phase === Phase.RECEIVED) {
        const since = tasks.rec[s + SENT] === tasks.rec[s + SENT] ? tasks.rec[s + SENT] : tasks.rec[s + RECEIVED];
        const eta = tasks.rec[s + ETA];
        const waitingSince = eta > since ? eta : since;
        const q = this.queueOf(s);
        if (waitingSince < oldest[q]) oldest[q] = waitingSince;
      }
    }
    const p = this.p;
    this.header(out, `${p}tasks_stuck`, 'gauge', `Tasks in STARTED for longer than ${this.options.stuckAfter} s (stuckAfter), by task name.`);
    for (let n = 0; n < stuck.length; n++) out.push(`${p}tasks_stuck{name="${this.names.escaped[n]}"} ${stuck[n]}\n`);
    this.header(out, `${p}queue_oldest_waiting_age_seconds`, 'gauge',
      'Age of the oldest task sent to (or received from) this queue and not started yet; 0 when none waits.');
    for (let q = 0; q < oldest.length; q++) {
      const age = oldest[q] === Infinity ? 0 : Math.max(0, now - oldest[q]);
      out.push(`${p}queue_oldest_waiting_age_seconds{queue_name="${this.queues.escaped[q]}"} ${formatNumber(age)}\n`);
    }
  }

  /** Worker gauges and loss counters by hostname label (workers grouped by hostnamePattern add up). */
  private renderWorkers(out: TextOut, now: number): void {
    const n = this.hosts.size;
    const up = new Float64Array(n).fill(-1);
    const active = new Float64Array(n);
    const age = new Float64Array(n).fill(Infinity);
    const missing = new Float64Array(n);
    const expected = new Float64Array(n);
    for (const worker of this.workers.values()) {
      const g = worker.group;
      if (worker.lastHeartbeat !== worker.lastHeartbeat) continue; // only task events so far
      const alive = worker.up(now, this.options.workerTimeout);
      up[g] = Math.max(up[g], alive ? 1 : 0);
      if (alive) active[g] += worker.active;
      age[g] = Math.min(age[g], Math.max(0, now - worker.lastHeartbeat));
      missing[g] += worker.missing;
      expected[g] += worker.expected;
    }
    const p = this.p;
    const hosts = this.hosts.escaped;
    const withHeartbeat: number[] = [];
    for (let g = 0; g < n; g++) if (up[g] >= 0) withHeartbeat.push(g);
    this.header(out, `${p}worker_up`, 'gauge', 'Indicates if a worker has recently sent a heartbeat.');
    for (const g of withHeartbeat) out.push(`${p}worker_up{hostname="${hosts[g]}"} ${up[g]}\n`);
    this.header(out, `${p}worker_tasks_active`, 'gauge', 'The number of tasks the worker is currently processing');
    for (const g of withHeartbeat) out.push(`${p}worker_tasks_active{hostname="${hosts[g]}"} ${active[g]}\n`);
    this.header(out, `${p}worker_last_heartbeat_age_seconds`, 'gauge', 'Seconds since the last heartbeat (or worker-online/offline) of the worker was received.');
    for (const g of withHeartbeat) out.push(`${p}worker_last_heartbeat_age_seconds{hostname="${hosts[g]}"} ${formatNumber(age[g])}\n`);
    this.header(out, 'evcam_events_missing_total', 'counter',
      "task-started events a worker published (growth of its heartbeats' processed count) that evcam never received.");
    for (const g of withHeartbeat) out.push(`evcam_events_missing_total{hostname="${hosts[g]}"} ${missing[g]}\n`);
    this.header(out, 'evcam_events_expected_total', 'counter',
      'task-started events a worker published since evcam first heard from it (the base of the missing ratio).');
    for (const g of withHeartbeat) out.push(`evcam_events_expected_total{hostname="${hosts[g]}"} ${expected[g]}\n`);
    this.header(out, 'evcam_events_missing_ratio', 'gauge', 'evcam_events_missing_total / evcam_events_expected_total (0 when nothing was expected).');
    for (const g of withHeartbeat) out.push(`evcam_events_missing_ratio{hostname="${hosts[g]}"} ${formatNumber(expected[g] > 0 ? missing[g] / expected[g] : 0)}\n`);
  }

  private renderQueues(out: TextOut): void {
    const p = this.p;
    this.header(out, `${p}queue_length`, 'gauge', 'The number of message in broker queue.');
    for (const queue of this.knownQueues()) {
      const depth = this.queueDepths[queue];
      if (typeof depth === 'number') out.push(`${p}queue_length{queue_name="${escapeLabel(queue)}"} ${depth}\n`);
    }
    this.header(out, 'evcam_prometheus_label_overflow_total', 'counter',
      'Events counted under an "other" label value because a cardinality cap (maxTaskNames, maxHostnames, maxQueues) was reached.');
    out.push(`evcam_prometheus_label_overflow_total{label="name"} ${this.names.overflowCount}\n`);
    out.push(`evcam_prometheus_label_overflow_total{label="hostname"} ${this.hosts.overflowCount}\n`);
    out.push(`evcam_prometheus_label_overflow_total{label="queue_name"} ${this.queues.overflowCount}\n`);
    out.push(`evcam_prometheus_label_overflow_total{label="exception"} ${this.exceptions.overflowCount}\n`);
    out.push(`evcam_prometheus_label_overflow_total{label="series"} ${this.seriesOverflowCount}\n`);
    this.header(out, 'evcam_prometheus_tracked_tasks', 'gauge', 'Tasks whose timings the camera remembers (at most maxTrackedTasks).');
    out.push(`evcam_prometheus_tracked_tasks ${this.tasks.size}\n`);
  }

  /** Loss figures for /healthz. */
  loss(): { missing: number; expected: number; ratio: number; workers: Record<string, { missing: number; expected: number }> } {
    let missing = 0;
    let expected = 0;
    const workers: Record<string, { missing: number; expected: number }> = {};
    for (const w of this.workers.values()) {
      missing += w.missing;
      expected += w.expected;
      if (w.missing > 0) workers[w.hostname] = { missing: w.missing, expected: w.expected };
    }
    return { missing, expected, ratio: expected > 0 ? missing / expected : 0, workers };
  }
}
