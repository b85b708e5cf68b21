import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOptionsWith, RecordingLogger } from '@evcam/camera-testkit';
import { ClusterMetrics } from './metrics.js';
import { prometheusCameraOptions, type PrometheusCameraOptions } from './options.js';
import { captureEvents, countByType, manifest, type CapturedEvent } from './testing/captures.js';
import { parseExposition, series, total, type Sample } from './testing/exposition.js';

const COUNTED = ['sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected'];

function options(input: Record<string, unknown> = {}): PrometheusCameraOptions {
  return parseOptionsWith(prometheusCameraOptions, input);
}

function feed(events: readonly CapturedEvent[], input: Record<string, unknown> = {}, logger = new RecordingLogger()) {
  let now = events[0]?.local_received ?? 0;
  const metrics = new ClusterMetrics(options(input), logger, () => now);
  for (const ev of events) {
    now = ev.local_received;
    metrics.onEvent(ev);
  }
  return { metrics, scrape: (): Sample[] => parseExposition(metrics.render(now)), logger, now: () => now };
}

describe('counters equal the events of each type in every shipped capture', () => {
  const captures = [...new Set(manifest().map((m) => m.capture))];
  for (const capture of captures) {
    it(capture, () => {
      const events = captureEvents(capture);
      const counts = countByType(events);
      const samples = feed(events).scrape();
      for (const c of COUNTED) {
        assert.equal(total(samples, `celery_task_${c}_total`), counts.get(`task-${c}`) ?? 0, `celery_task_${c}_total`);
      }
      const withRuntime = events.filter((e) => e.type === 'task-succeeded' && typeof e.runtime === 'number').length;
      assert.equal(total(samples, 'celery_task_runtime_count'), withRuntime);
      assert.equal(total(samples, 'celery_task_runtime_bucket', { le: '+Inf' }), withRuntime);
      // Nothing was lost in a capture (restarts, shuffles, missing heartbeats included): no gap reported.
      for (const s of series(samples, 'evcam_events_missing_total')) assert.equal(s.value, 0, `${capture} ${s.labels.hostname}`);
    });
  }
});

describe('ClusterMetrics', () => {
  const events = captureEvents('rabbitmq-5.2.6.jsonl');

  it('labels like celery-exporter: name, hostname after @, queue_name from task-sent, failed by exception class', () => {
    const samples = feed(events).scrape();
    const started = series(samples, 'celery_task_started_total');
    assert.ok(started.length > 0);
    for (const s of started) {
      assert.deepEqual(Object.keys(s.labels).sort(), ['hostname', 'name', 'queue_name']);
      assert.doesNotMatch(s.labels.hostname, /@/);
    }
    const failed = series(samples, 'celery_task_failed_total').filter((s) => s.value > 0);
    assert.ok(failed.some((s) => s.labels.exception === 'ValueError'), JSON.stringify(failed));
    const up = series(samples, 'celery_worker_up');
    assert.deepEqual(up.map((s) => s.labels.hostname), ['lab']);
  });

  it('times queue waits from task-sent and from task-received to task-started', () => {
    const samples = feed(events).scrape();
    const started = events.filter((e) => e.type === 'task-started').length;
    const sentCount = total(samples, 'celery_task_queue_wait_seconds_count', { since: 'sent' });
    const receivedCount = total(samples, 'celery_task_queue_wait_seconds_count', { since: 'received' });
    assert.ok(sentCount > 0 && sentCount <= started, `${sentCount} of ${started}`);
    assert.ok(receivedCount > 0 && receivedCount <= started);
    assert.ok(total(samples, 'celery_task_queue_wait_seconds_sum') >= 0);
  });

  it('hostnamePattern groups pods; genericHostnameTaskSent collapses clients', () => {
    const renamed = events.map((e) => (typeof e.hostname === 'string' && e.type !== 'task-sent'
      ? { ...e, hostname: e.hostname.replace('@lab', e.hostname.startsWith('w1') ? '@api-7d9f8-x1abc' : '@api-7d9f8-q2xyz') } : e));
    const samples = feed(renamed, { hostnamePattern: '^(.*)-[a-z0-9]+-[a-z0-9]{5}$', genericHostnameTaskSent: true }).scrape();
    assert.deepEqual([...new Set(series(samples, 'celery_task_started_total').map((s) => s.labels.hostname))], ['api']);
    assert.deepEqual([...new Set(series(samples, 'celery_task_sent_total').map((s) => s.labels.hostname))], ['generic']);
    assert.deepEqual(series(samples, 'celery_worker_up').map((s) => s.labels.hostname), ['api']); // both pods in one series
  });

  it('caps task names: later names are counted under "other", totals unchanged', () => {
    const many: CapturedEvent[] = [];
    for (let i = 0; i < 30; i++) {
      many.push({ type: 'task-received', uuid: `u${i}`, name: `proj.task_${i}`, hostname: 'w1@h', timestamp: 100 + i, local_received: 100 + i });
      many.push({ type: 'task-started', uuid: `u${i}`, hostname: 'w1@h', timestamp: 100 + i, local_received: 100 + i });
    }
    const { scrape, metrics } = feed(many, { maxTaskNames: 10 });
    const samples = scrape();
    const names = new Set(series(samples, 'celery_task_started_total').map((s) => s.labels.name));
    assert.ok(names.size <= 10, [...names].join());
    assert.ok(names.has('other'));
    assert.equal(total(samples, 'celery_task_started_total'), 30);
    assert.equal(total(samples, 'celery_task_started_total', { name: 'other' }), 30 - 9); // 'unknown' holds one of the 10
    assert.ok(metrics.names.overflowCount > 0);
    assert.ok(total(samples, 'evcam_prometheus_label_overflow_total', { label: 'name' }) > 0);
  });

  it('caps label sets at maxSeries: the rest are counted in one all-"other" series', () => {
    const many: CapturedEvent[] = [];
    for (let i = 0; i < 40; i++) {
      many.push({ type: 'task-received', uuid: `u${i}`, name: `proj.task_${i % 8}`, hostname: `w${i % 5}@h${i % 5}`, timestamp: 100 + i, local_received: 100 + i });
    }
    const { scrape, metrics } = feed(many, { maxSeries: 12 });
    const samples = scrape();
    assert.equal(metrics.series.length, 13);
    assert.equal(total(samples, 'celery_task_received_total'), 40);
    assert.equal(total(samples, 'celery_task_received_total', { name: 'other', hostname: 'other', queue_name: 'other' }), 40 - 12);
    assert.equal(total(samples, 'evcam_prometheus_label_overflow_total', { label: 'series' }), 40 - 12);
  });

  it('removes the series of workers gone longer than purgeOfflineWorkerMetrics', () => {
    const { metrics, scrape, now } = feed(events, { purgeOfflineWorkerMetrics: 60 });
    assert.deepEqual(metrics.purgeGoneWorkers(now() + 30), []);
    assert.deepEqual(metrics.purgeGoneWorkers(now() + 120), ['lab']);
    const samples = scrape();
    assert.equal(series(samples, 'celery_task_started_total').filter((s) => s.labels.hostname === 'lab').length, 0);
    assert.equal(series(samples, 'celery_worker_up').length, 0);
  });

  it('keeps the series of a worker that runs tasks without heartbeats', () => {
    const evs: CapturedEvent[] = [];
    for (let i = 0; i < 20; i++) {
      evs.push({ type: 'task-received', uuid: `u${i}`, name: 't', hostname: 'w@quiet', timestamp: 100 + i * 60, local_received: 100 + i * 60 });
      evs.push({ type: 'task-started', uuid: `u${i}`, hostname: 'w@quiet', timestamp: 100 + i * 60, local_received: 100 + i * 60 });
    }
    const { metrics, now } = feed(evs, { purgeOfflineWorkerMetrics: 300 });
    assert.deepEqual(metrics.purgeGoneWorkers(now() + 60), []);
    assert.deepEqual(metrics.purgeGoneWorkers(now() + 400), ['quiet']);
  });

  it('counts tasks STARTED longer than stuckAfter and the oldest waiting task per queue', () => {
    const evs: CapturedEvent[] = [
      { type: 'task-sent', uuid: 'a', name: 't.slow', queue: 'q1', hostname: 'c@h', timestamp: 1000, local_received: 1000 },
      { type: 'task-received', uuid: 'a', name: 't.slow', hostname: 'w@h', timestamp: 1001, local_received: 1001 },
      { type: 'task-started', uuid: 'a', hostname: 'w@h', timestamp: 1002, local_received: 1002 },
      { type: 'task-sent', uuid: 'b', name: 't.wait', queue: 'q1', hostname: 'c@h', timestamp: 1010, local_received: 1010 },
      { type: 'task-sent', uuid: 'c', name: 't.wait', queue: 'q2', hostname: 'c@h', timestamp: 1020, local_received: 1020 },
      { type: 'task-sent', uuid: 'd', name: 't.wait', queue: 'q2', hostname: 'c@h', timestamp: 1030, local_received: 1030 },
    ];
    const metrics = new ClusterMetrics(options({ stuckAfter: 60 }), new RecordingLogger(), () => 1100);
    for (const ev of evs) metrics.onEvent(ev);
    const samples = parseExposition(metrics.render(1100));
    assert.equal(total(samples, 'celery_tasks_stuck', { name: 't.slow' }), 1);
    assert.equal(total(samples, 'celery_queue_oldest_waiting_age_seconds', { queue_name: 'q1' }), 90);
    assert.equal(total(samples, 'celery_queue_oldest_waiting_age_seconds', { queue_name: 'q2' }), 80);
    const early = parseExposition(metrics.render(1030));
    assert.equal(total(early, 'celery_tasks_stuck', { name: 't.slow' }), 0);
  });
});

/** A synthetic worker: heartbeats every 2 s carry processed, as Celery's all_total_count. */
function workerStream(opts: { tasks: number; drop?: (i: number) => boolean; restartAt?: number; dropHeartbeats?: (i: number) => boolean }) {
  const out: CapturedEvent[] = [];
  let t = 1000;
  let processed = 0;
  let pid = 100;
  let beat = 0;
  const hb = (type = 'worker-heartbeat') => {
    const i = beat++;
    if (opts.dropHeartbeats?.(i)) return;
    out.push({ type, hostname: 'w1@h', pid, processed, active: 0, freq: 2, timestamp: t, local_received: t });
  };
  hb('worker-online');
  for (let i = 0; i < opts.tasks; i++) {
    if (i === opts.restartAt) {
      hb('worker-offline');
      pid++;
      processed = 0;
      hb('worker-online');
    }
    processed++;
    t += 0.05;
    if (!opts.drop?.(i)) out.push({ type: 'task-started', uuid: `t${i}`, hostname: 'w1@h', timestamp: t, local_received: t });
    if (i % 20 === 19) { t += 0.01; hb(); }
  }
  for (let k = 0; k < 3; k++) { t += 2; hb(); }
  return out;
}

describe('loss accounting (heartbeat processed vs task-started folded)', () => {
  const missing = (samples: Sample[]) => total(samples, 'evcam_events_missing_total', { hostname: 'h' });

  it('nothing lost: 0', () => {
    assert.equal(missing(feed(workerStream({ tasks: 500 })).scrape()), 0);
  });

  it('counts the task-started events that never arrived, and warns once a minute at most', () => {
    const lost = (i: number) => i % 10 < 3; // 30 %
    const { scrape, logger } = feed(workerStream({ tasks: 1000, drop: lost }));
    const samples = scrape();
    assert.equal(missing(samples), 300);
    assert.equal(total(samples, 'evcam_events_expected_total', { hostname: 'h' }), 1000);
    assert.equal(total(samples, 'evcam_events_missing_ratio', { hostname: 'h' }), 0.3);
    const warnings = logger.records.filter((e) => e.level === 'warn');
    assert.ok(warnings.length >= 1 && warnings.length <= 2, `${warnings.length} warnings`); // the stream spans ~60 s
  });

  it('lost heartbeats are covered by the next one', () => {
    const samples = feed(workerStream({ tasks: 1000, drop: (i) => i % 4 === 0, dropHeartbeats: (i) => i % 3 === 1 })).scrape();
    assert.equal(missing(samples), 250);
  });

  it('a worker restart (processed back to 0, new pid) gives no negative or spurious gap', () => {
    assert.equal(missing(feed(workerStream({ tasks: 600, restartAt: 300 })).scrape()), 0);
    // ... also when its worker-offline/online were lost too
    const noOnline = workerStream({ tasks: 600, restartAt: 300 }).filter((e) => e.type !== 'worker-online' && e.type !== 'worker-offline');
    assert.equal(missing(feed(noOnline).scrape()), 0);
    // and losses on both sides of the restart still add up
    const samples = feed(workerStream({ tasks: 600, restartAt: 300, drop: (i) => i % 10 === 0 })).scrape();
    assert.ok(Math.abs(missing(samples) - 60) <= 2, String(missing(samples)));
  });

  it('duplicated task-started events (redelivery) never make the counter go down', () => {
    const evs = workerStream({ tasks: 200, drop: (i) => i < 20 });
    const dup = [...evs.slice(0, 30), ...evs.slice(0, 30).filter((e) => e.type === 'task-started'), ...evs.slice(30)];
    const samples = feed(dup).scrape();
    assert.ok(missing(samples) >= 0 && missing(samples) <= 20);
  });
});
