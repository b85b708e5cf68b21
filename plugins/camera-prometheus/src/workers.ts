/**
 * One Celery worker (by node name): liveness for celery_worker_* and the loss
 * accounting behind evcam_events_missing_total.
 *
 * Loss accounting. A worker's heartbeats (and worker-online/offline) carry `processed`,
 * Celery's all_total_count: incremented in Request.on_accepted just before the worker
 * sends task-started. So between two of its heartbeats the growth of `processed` is
 * the number of task-started events that worker published. Compared with the
 * task-started events folded from it, the difference is what never reached evcam.
 *
 * - Reordering: the gap at a heartbeat uses the PREVIOUS heartbeat's `processed`
 *   (sent one heartbeat interval earlier) against the task-started events folded so
 *   far, so late or shuffled delivery never counts as loss; the estimate trails by
 *   one heartbeat.
 * - Lost heartbeats: `processed` is cumulative, so the next one that arrives covers them.
 * - Restarts (worker-online, a new pid, `processed` going down): the old run's
 *   missing count is kept and a new baseline starts, so a reset is never a negative
 *   or spurious gap. Events lost inside the restart window itself are not counted.
 * - The counter only grows (the max of the estimates), as a Prometheus counter must.
 */
export class WorkerRecord {
  pid: number | null = null;
  freq = 2;
  active = 0;
  offline = false;
  /** Receive time (kernel clock) of the last worker event, and of any event from this node. */
  lastHeartbeat = NaN;
  lastSeen = NaN;
  /** task-started events folded from this node. */
  started = 0;
  private base = NaN;
  private baseStarted = 0;
  private previous = NaN;
  private carriedMissing = 0;
  private carriedExpected = 0;
  /** Task-started events this worker published that evcam never folded (monotonic). */
  missing = 0;
  /** Task-started events this worker published since evcam first saw it (what `missing` is out of). */
  expected = 0;
  lastWarnAt = -Infinity;
  warnedMissing = 0;

  constructor(readonly hostname: string, readonly group: number) {}

  /** A worker-online/heartbeat/offline event; returns true when `missing` grew. */
  observe(type: string, processed: unknown, pid: unknown, active: unknown, freq: unknown, receivedAt: number): boolean {
    this.lastHeartbeat = this.lastSeen = receivedAt;
    this.offline = type === 'worker-offline';
    if (typeof active === 'number') this.active = active;
    if (typeof freq === 'number' && freq > 0) this.freq = freq;
    const newPid = typeof pid === 'number' ? pid : null;
    const restarted = type === 'worker-online' || (newPid !== null && this.pid !== null && newPid !== this.pid);
    if (newPid !== null) this.pid = newPid;
    if (typeof processed !== 'number' || !(processed >= 0)) return false;
    if (this.base !== this.base || restarted || processed < this.previous) {
      // First sight of this run: what it processed before is not ours to count.
      this.carriedMissing = this.missing;
      this.carriedExpected = this.expected;
      this.base = processed;
      this.baseStarted = this.started;
      this.previous = processed;
      return false;
    }
    const published = this.previous - this.base;
    this.previous = processed;
    const gap = published - (this.started - this.baseStarted);
    const expected = this.carriedExpected + published;
    if (expected > this.expected) this.expected = expected;
    const missing = this.carriedMissing + (gap > 0 ? gap : 0);
    if (missing > this.missing) {
      this.missing = missing;
      return true;
    }
    return false;
  }

  /** Celery's Worker.alive, with celery-exporter's patience: not offline, heard from within `timeout`. */
  up(now: number, timeout: number): boolean {
    return !this.offline && now - this.lastHeartbeat <= timeout;
  }
}
