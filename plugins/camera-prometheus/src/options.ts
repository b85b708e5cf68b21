import { bool, duration, port, positiveInt } from '@evcam/options';
import { z } from 'zod';

/** Task runtime buckets, seconds: 5 ms to 1 h (celery-exporter's stop at 10 s, too short for real task queues). */
export const DEFAULT_RUNTIME_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** Queue wait buckets, seconds: a healthy queue sits near 0, a backlog grows to minutes. */
export const DEFAULT_QUEUE_WAIT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** "0.1,1,10" (CLI) or [0.1, 1, 10] (config): strictly ascending positive seconds. */
const buckets = z.union([
  z.number().transform((n) => [n]),
  z.array(z.number()),
  z.string().transform((s) => s.split(',').map((p) => Number(p.trim()))),
]).refine((list) => list.length > 0 && list.every((b, i) => Number.isFinite(b) && b > 0 && (i === 0 || b > list[i - 1])),
  'must be ascending positive numbers of seconds, e.g. "0.1,1,10" (+Inf is added)');

/** A regular expression given as a string; checked here so a typo fails at start with the option's name. */
const regex = z.string().refine((s) => { try { new RegExp(s); return true; } catch { return false; } },
  'must be a valid JavaScript regular expression');

const nonNegativeDuration = z.union([z.literal(0), z.literal('0').transform(() => 0), duration]);

export const prometheusCameraOptions = z.strictObject({
  /** Port of the metrics endpoint (celery-exporter's 9808, so existing scrape configs work; 0 picks one). */
  port: port.default(9808),
  /** Address to listen on; 127.0.0.1 keeps it local, 0.0.0.0 lets a remote Prometheus scrape. */
  host: z.string().min(1).default('127.0.0.1'),
  /** Path of the metrics (any other path gets 404, except /healthz). */
  path: z.string().startsWith('/').default('/metrics'),
  /** Buckets of celery_task_runtime. */
  buckets: buckets.default(DEFAULT_RUNTIME_BUCKETS),
  /** Buckets of celery_task_queue_wait_seconds. */
  queueWaitBuckets: buckets.default(DEFAULT_QUEUE_WAIT_BUCKETS),
  /**
   * Maps a worker's node name to the `hostname` label: the first capture group (or the whole match) of this
   * pattern applied to the part after '@' (celery-exporter's). E.g. "^(.*)-[a-z0-9]+-[a-z0-9]{5}$" groups pods of a deployment.
   */
  hostnamePattern: regex.optional(),
  /** Label every task-sent series hostname="generic" (celery-exporter's --generic-hostname-task-sent-metric). */
  genericHostnameTaskSent: bool.default(false),
  /** Label every worker-side task series hostname="generic" (celery-exporter's --generic-hostname-worker-task-metric). */
  genericHostnameWorkerTask: bool.default(false),
  /** Distinct task names with their own series; later ones are counted under name="other". */
  maxTaskNames: positiveInt.default(1000),
  /** Distinct hostname label values; later ones are counted under hostname="other". */
  maxHostnames: positiveInt.default(500),
  /** Distinct queues; later ones are counted under queue_name="other". */
  maxQueues: positiveInt.default(100),
  /** Distinct exception classes in celery_task_failed_total; later ones are counted under exception="other". */
  maxExceptions: positiveInt.default(100),
  /** Task label sets (name × hostname × queue_name) with their own series; later ones are counted in one all-"other" series. */
  maxSeries: positiveInt.default(100_000),
  /** queue_name of tasks whose task-sent was not seen (celery-exporter's --default-queue-name). */
  defaultQueueName: z.string().min(1).default('celery'),
  /** Queues reported by celery_queue_length before any event names them (celery-exporter's --queues). */
  queues: z.union([z.array(z.string().min(1)), z.string().transform((s) => s.split(',').map((q) => q.trim()).filter(Boolean))]).default([]),
  /** A worker with no event for this long is reported down (celery-exporter's --worker-timeout). */
  workerTimeout: duration.default(300),
  /** Series of a hostname with no event for this long are removed (celery-exporter's --purge-offline-worker-metrics); 0 keeps them. */
  purgeOfflineWorkerMetrics: nonNegativeDuration.default(600),
  /** A task STARTED longer than this counts in celery_tasks_stuck. */
  stuckAfter: duration.default(3600),
  /** Tasks whose name, queue and timings are remembered (labels of nameless events, queue wait, stuck, oldest waiting); the oldest are forgotten first. As the State's maxTasksInMemory. */
  maxTrackedTasks: positiveInt.default(10_000),
  /** Log at most one event-loss warning per worker per this many seconds. */
  lossWarnInterval: duration.default(60),
  /** Prefix of every celery_* family (celery-exporter's --metric-prefix). */
  metricPrefix: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a valid Prometheus metric name prefix').default('celery_'),
});

export type PrometheusCameraOptions = z.output<typeof prometheusCameraOptions>;
