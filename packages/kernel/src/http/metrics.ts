import type { KernelParts } from '../container/services.js';
import { PrometheusText, type Labels } from './prometheus.js';

const byCamera = (kernel: KernelParts, pick: (h: KernelParts['cameras'][number]['health']) => number | null): [Labels, number][] =>
  kernel.cameras.map((c) => [{ camera: c.name }, pick(c.health) ?? 0]);

/** Everything /metrics exposes, read from the live objects at scrape time (nothing is bumped per event here). */
export function renderMetrics(kernel: KernelParts): string {
  const m = kernel.ingestor.metrics;
  const receiver = kernel.receiver.health();
  const duplicates = (kernel.receiver as { duplicates?: number }).duplicates ?? 0;
  const text = new PrometheusText()
    .one('evcam_messages_received_total', 'counter', 'Broker messages received', m.messages)
    .family('evcam_events_folded_total', 'counter', 'Events folded into the State, by event type',
      [...m.foldedByType].map(([type, n]) => [{ type }, n]))
    .family('evcam_bad_messages_total', 'counter', 'Messages or events refused, by reason (see README, Reliability)',
      [...m.bad].map(([reason, n]) => [{ reason }, n]))
    .one('evcam_duplicate_messages_total', 'counter', 'Redelivered messages skipped because their events were already folded', duplicates)
    .one('evcam_receiver_connected', 'gauge', '1 while connected to the broker', receiver.connected ? 1 : 0)
    .one('evcam_receiver_reconnects_total', 'counter', 'Broker connections lost and re-established', receiver.reconnects)
    .one('evcam_receiver_disconnected_seconds_total', 'counter', 'Seconds spent without a broker connection', receiver.disconnectedSecs)
    .family('evcam_event_lag_seconds', 'summary', 'Lag between an event timestamp and its fold', [[{}, m.lagSum]], '_sum')
    .samples('evcam_event_lag_seconds_count', [[{}, m.lagCount]])
    .one('evcam_event_lag_max_seconds', 'gauge', 'Largest lag seen', m.lagMax)
    .one('evcam_event_lag_last_seconds', 'gauge', 'Lag of the last folded event', m.lastLag)
    .one('evcam_state_tasks', 'gauge', 'Tasks in the State (LRU bounded by maxTasksInMemory)', kernel.state.tasks.size)
    .one('evcam_state_workers', 'gauge', 'Workers in the State (LRU bounded by maxWorkersInMemory)', kernel.state.workers.size)
    .one('evcam_state_event_count', 'gauge', "Celery's State.event_count", kernel.state.eventCount)
    .one('evcam_state_task_count', 'gauge', "Celery's State.task_count", kernel.state.taskCount)
    .family('evcam_camera_up', 'gauge', '1 when the camera last stored a snapshot (status ok)',
      kernel.cameras.map((c) => [{ camera: c.name, status: c.health.status }, c.health.status === 'ok' ? 1 : 0]))
    .family('evcam_camera_shutters_total', 'counter', 'Snapshots taken', byCamera(kernel, (h) => h.shutters))
    .family('evcam_camera_stored_total', 'counter', 'Snapshots stored by onShutter', byCamera(kernel, (h) => h.stored))
    .family('evcam_camera_failures_total', 'counter', 'onShutter calls that threw, rejected or timed out', byCamera(kernel, (h) => h.failures))
    .family('evcam_camera_timeouts_total', 'counter', 'onShutter calls cut off by shutterTimeout', byCamera(kernel, (h) => h.timeouts))
    .family('evcam_camera_superseded_total', 'counter', 'Snapshots replaced by a newer one before being stored', byCamera(kernel, (h) => h.superseded))
    .family('evcam_camera_rate_limited_total', 'counter', 'Shutters skipped by maxrate', byCamera(kernel, (h) => h.rateLimited))
    .family('evcam_camera_cleanup_failures_total', 'counter', 'onCleanup calls that threw or rejected', byCamera(kernel, (h) => h.cleanupFailures))
    .family('evcam_camera_event_errors_total', 'counter', 'onEvent calls that threw (ingestion carried on)', byCamera(kernel, (h) => h.eventErrors))
    .family('evcam_camera_consecutive_failures', 'gauge', 'Failures since the last stored snapshot', byCamera(kernel, (h) => h.consecutiveFailures))
    .family('evcam_camera_shutter_duration_seconds', 'gauge', 'Duration of the last onShutter call',
      byCamera(kernel, (h) => (h.lastDurationMs === null ? null : h.lastDurationMs / 1000)));
  const cp = kernel.checkpointer?.metrics;
  if (cp) {
    text.one('evcam_checkpoint_writes_total', 'counter', 'Checkpoints written', cp.writes)
      .one('evcam_checkpoint_failures_total', 'counter', 'Checkpoint writes that failed', cp.failures)
      .one('evcam_checkpoint_duration_seconds', 'gauge', 'Duration of the last checkpoint write', (cp.lastDurationMs ?? 0) / 1000)
      .one('evcam_checkpoint_bytes', 'gauge', 'Size of the last checkpoint', cp.lastBytes ?? 0)
      .one('evcam_checkpoint_last_success_timestamp_seconds', 'gauge', 'When the last checkpoint was written', cp.lastWrittenAt ?? 0);
  }
  const ha = kernel.ha?.health();
  if (ha) {
    const who = { group: ha.group, node: ha.node };
    text.family('evcam_ha_leader', 'gauge', '1 while this kernel is the HA leader (its cameras write), 0 on standby', [[who, ha.role === 'leader' ? 1 : 0]])
      .family('evcam_ha_epoch', 'gauge', 'Leadership epoch this kernel holds or last held (0: never led)', [[who, ha.epoch ?? 0]])
      .family('evcam_ha_lease_age_seconds', 'gauge', 'Seconds since the leader last confirmed its lease (0 on standby)', [[who, ha.leaseAgeSecs ?? 0]])
      .family('evcam_ha_takeovers_total', 'counter', 'Times this kernel took the lead', [[who, ha.takeovers]])
      .family('evcam_ha_lost_total', 'counter', 'Times this kernel lost the lead without giving it up', [[who, ha.lost]]);
  }
  const mem = process.memoryUsage();
  text.one('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes', mem.rss)
    .one('nodejs_heap_used_bytes', 'gauge', 'V8 heap in use, bytes', mem.heapUsed);
  return text.toString();
}
