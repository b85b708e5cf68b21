import { hostname } from 'node:os';
import { duration } from '@evcam/options';
import { z } from 'zod';

const name = z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'letters, digits, . _ : - only (it becomes part of queue and key names)');

/** `ha: { … }`: two or more kernels configured alike, of which one (the leader) writes. */
export const haSchema = z.strictObject({
  /** Kernels with the same group elect one leader among them (on the broker they share). */
  group: name,
  /** This kernel's name in the group: stable across restarts (its queue and checkpoint are named after it). Default: the host name. */
  node: name.optional(),
  /**
   * Seconds a leader may go without confirming its lease before it stops writing; a standby
   * takes over at most about this long after a leader dies silently (kill -9 is seen at once).
   */
  lease: duration.default(4),
  /**
   * Every node of the group (AMQP). Each kernel also declares the others' queues, so a
   * node started later finds every event since the group's first kernel started.
   */
  nodes: z.array(name).optional(),
});

export type HaConfig = z.output<typeof haSchema>;

/** The group, node and lease timings one kernel runs with. */
export interface HaSettings {
  group: string;
  node: string;
  /** The other nodes of the group, if configured. */
  peers: string[];
  /** Seconds. */
  lease: number;
  /** Seconds between a leader's renewals: three tries before its lease runs out. */
  renewEvery: number;
  /** Seconds between a standby's attempts to take the lead. */
  retryEvery: number;
}

/** Timings derived from the lease: renew three times per (local) lease, a standby retries twice as often. */
export function haSettings(config: HaConfig, host: string = hostname()): HaSettings {
  const lease = config.lease;
  const node = config.node ?? host.replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 100);
  return {
    group: config.group,
    node,
    peers: (config.nodes ?? []).filter((n) => n !== node),
    lease,
    renewEvery: lease / 6,
    retryEvery: Math.min(1, lease / 10),
  };
}

/**
 * Hot standby: every kernel folds everything from its own no-loss queue, named
 * `<queue>.<node>` (`<queue>` defaults to `evcam.<group>`), so kernels configured
 * alike never compete for one queue and a restarted node finds its own backlog.
 */
export function haQueueName(queue: string | undefined, settings: Pick<HaSettings, 'group' | 'node'>): string {
  return `${queue ?? `evcam.${settings.group}`}.${settings.node}`;
}
