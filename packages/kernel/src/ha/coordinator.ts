import type { Logger } from '@evcam/camera-api';
import type { LeaseBackend } from './lease.js';
import type { HaSettings } from './settings.js';

export type HaRole = 'leader' | 'standby';

/** What /healthz and /metrics show. */
export interface HaStatus {
  group: string;
  node: string;
  role: HaRole;
  /** This node's epoch while it leads; the last one it held otherwise (null: never led). */
  epoch: number | null;
  /** The leader as far as this node knows (null: unknown). */
  leader: string | null;
  /** Seconds since the lease was last confirmed (null: not leading). */
  leaseAgeSecs: number | null;
  /** Times this node took the lead. */
  takeovers: number;
  /** Times this node lost the lead without giving it up (lease ran out, taken over, connection lost). */
  lost: number;
  backend: string;
  lastError: string | null;
}

/** A lease call that does not answer within `secs` counts as failed (a half-dead connection must not stall the loop). */
function within<T>(secs: number, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    call(),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${secs} s`)), secs * 1000); }),
  ]).finally(() => clearTimeout(timer));
}

/** Seconds on this process's monotonic clock: it keeps counting while the process is stopped (SIGSTOP, VM pause). */
const monotonicSecs = (): number => performance.now() / 1000;

/**
 * One kernel's part in an HA group, and the gate its cameras shutter through
 * (the ShutterGate shape: isOpen(), epoch). A standby tries to take the lead every
 * retryEvery seconds; the leader renews every renewEvery. The gate is open only
 * while the lease is valid by this process's own monotonic clock, computed at
 * the moment it is asked, so a leader that was paused past its lease finds the
 * gate shut when it wakes, before it can write anything, whatever its timers do.
 */
export class HaCoordinator {
  /** As a kernel service: started after the receiver, stopped after the final shutter. */
  readonly name = 'ha';
  private role: HaRole = 'standby';
  private currentEpoch: number | null = null;
  /** Monotonic deadline of the lease; the gate is shut past it. */
  private deadline = Number.NEGATIVE_INFINITY;
  private confirmedAt: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private ticking: Promise<void> | null = null;
  private knownLeader: string | null = null;
  private readonly status = { takeovers: 0, lost: 0, lastError: null as string | null };
  /** Called when this node starts or stops leading (the kernel logs, cameras may react). */
  onRoleChange: ((role: HaRole, epoch: number | null) => void) | null = null;

  constructor(
    private readonly lease: LeaseBackend,
    readonly settings: HaSettings,
    private readonly logger: Logger,
    private readonly now: () => number = monotonicSecs,
  ) {
    lease.onLost = () => this.demote('the lease connection was lost');
  }

  // ---- the gate (ShutterGate) ----

  /** True only while this node leads and its lease is valid right now. */
  isOpen(): boolean {
    if (this.role !== 'leader') return false;
    if (this.now() < this.deadline) return true;
    // Past the deadline (paused, or renewals failing): shut before anyone can write, even if no timer ran yet.
    this.demote('the lease ran out before it was renewed');
    return false;
  }

  /** The epoch snapshots carry while the gate is open. */
  get epoch(): number | undefined {
    return this.role === 'leader' && this.currentEpoch !== null ? this.currentEpoch : undefined;
  }

  // ---- lifecycle ----

  /** Try at once, then keep trying (standby) or renewing (leader) in the background. */
  async start(): Promise<void> {
    await this.tick();
    this.schedule();
  }

  /** Give the lead up (so a standby takes over at once) and stop. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
    if (this.role === 'leader') {
      this.role = 'standby';
      this.logger.info({ group: this.settings.group, node: this.settings.node, epoch: this.currentEpoch }, 'HA: stepping down (shutdown); a standby takes over now');
      this.onRoleChange?.('standby', this.currentEpoch);
      await this.lease.release().catch((err: unknown) => this.logger.warn({ err }, 'HA: releasing the lease failed; a standby takes over when it runs out'));
    }
    await this.lease.close().catch(() => {});
  }

  health(): HaStatus {
    const leading = this.isOpen();
    return {
      group: this.settings.group,
      node: this.settings.node,
      role: leading ? 'leader' : 'standby',
      epoch: this.currentEpoch,
      leader: leading ? this.settings.node : this.knownLeader,
      leaseAgeSecs: leading && this.confirmedAt !== null ? this.now() - this.confirmedAt : null,
      takeovers: this.status.takeovers,
      lost: this.status.lost,
      backend: this.lease.kind,
      lastError: this.status.lastError,
    };
  }

  // ---- internals ----

  private schedule(): void {
    if (this.stopped) return;
    const secs = this.role === 'leader' ? this.settings.renewEvery : this.settings.retryEvery;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => { this.ticking = null; this.schedule(); });
    }, secs * 1000);
    this.timer.unref?.();
  }

  /** One round: renew (leader) or try to take the lead (standby). The background loop calls it; tests may too. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.role === 'leader' && this.isOpen()) await this.renew();
    else await this.tryAcquire();
  }

  private async tryAcquire(): Promise<void> {
    const sent = this.now();
    let acquired;
    try {
      acquired = await within(this.lease.validFor, () => this.lease.acquire());
      this.status.lastError = null;
    } catch (err) {
      this.noteError(err, 'HA: could not reach the lease backend; standing by and retrying');
      return;
    }
    if (acquired === null) {
      this.knownLeader = await within(this.lease.validFor, () => this.lease.leader()).catch(() => this.knownLeader);
      return;
    }
    if (this.stopped) {
      await this.lease.release().catch(() => {});
      return;
    }
    this.deadline = sent + this.lease.validFor;
    this.confirmedAt = sent;
    if (this.now() >= this.deadline) {
      this.logger.warn({ epoch: acquired.epoch }, 'HA: took the lead but the lease ran out before the answer came; giving it back');
      await this.lease.release().catch(() => {});
      return;
    }
    this.role = 'leader';
    this.currentEpoch = acquired.epoch;
    this.knownLeader = this.settings.node;
    this.status.takeovers++;
    const { group, node } = this.settings;
    if (acquired.previous !== null && acquired.previous !== node) {
      this.logger.warn({ group, previousLeader: acquired.previous, leader: node, epoch: acquired.epoch },
        `HA takeover: ${node} is now the leader of ${group} (was ${acquired.previous}), epoch ${acquired.epoch}`);
    } else {
      this.logger.info({ group, leader: node, epoch: acquired.epoch, previousLeader: acquired.previous }, `HA: ${node} is the leader of ${group}, epoch ${acquired.epoch}`);
    }
    this.onRoleChange?.('leader', acquired.epoch);
  }

  private async renew(): Promise<void> {
    const sent = this.now();
    let held: boolean;
    try {
      held = await within(this.lease.validFor, () => this.lease.renew());
      this.status.lastError = null;
    } catch (err) {
      this.noteError(err, 'HA: renewing the lease failed; the lead is kept until the lease runs out');
      return;
    }
    if (this.role !== 'leader') return;
    if (!held) {
      this.demote('another node holds the lease now');
      return;
    }
    this.deadline = Math.max(this.deadline, sent + this.lease.validFor);
    this.confirmedAt = sent;
  }

  /** Stop leading: the gate is shut from here on. */
  private demote(why: string): void {
    if (this.role !== 'leader') return;
    this.role = 'standby';
    this.deadline = Number.NEGATIVE_INFINITY;
    this.confirmedAt = null;
    this.knownLeader = null;
    this.status.lost++;
    this.logger.warn({ group: this.settings.group, node: this.settings.node, epoch: this.currentEpoch, why },
      'HA: no longer the leader; cameras stop writing, standing by');
    this.onRoleChange?.('standby', this.currentEpoch);
    // Let the backend forget us (a connection that may be half dead), then try again as a standby.
    void this.lease.release().catch(() => {});
  }

  private lastErrorLog = Number.NEGATIVE_INFINITY;

  private noteError(err: unknown, message: string): void {
    this.status.lastError = err instanceof Error ? err.message : String(err);
    const now = this.now();
    if (now - this.lastErrorLog >= 10) {
      this.lastErrorLog = now;
      this.logger.warn({ err, group: this.settings.group }, message);
    }
  }
}
