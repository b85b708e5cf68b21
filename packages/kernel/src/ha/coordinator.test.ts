import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger, type Logger } from '@evcam/camera-api';
import { HaCoordinator } from './coordinator.js';
import type { Acquired, LeaseBackend } from './lease.js';
import { haSettings } from './settings.js';

/** A lease whose answers the test decides, one call at a time. */
class ScriptedLease implements LeaseBackend {
  readonly kind = 'redis' as const;
  readonly validFor = 5;
  acquireReply: Acquired | null | Error = null;
  renewReply: boolean | Error = true;
  released = 0;
  async acquire(): Promise<Acquired | null> {
    if (this.acquireReply instanceof Error) throw this.acquireReply;
    return this.acquireReply;
  }
  async renew(): Promise<boolean> {
    if (this.renewReply instanceof Error) throw this.renewReply;
    return this.renewReply;
  }
  async release(): Promise<void> { this.released++; }
  async leader(): Promise<string | null> { return 'other'; }
  async close(): Promise<void> {}
}

function recordingLogger(): { logger: Logger; lines: { level: string; msg: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (fields: unknown, msg?: string) => { lines.push({ level, msg: msg ?? String(fields), fields: typeof fields === 'object' && fields !== null ? fields as Record<string, unknown> : {} }); };
  const logger = { ...silentLogger, info: at('info'), warn: at('warn'), error: at('error'), child: () => logger } as unknown as Logger;
  return { logger, lines };
}

describe('HA coordinator (scripted lease, fake monotonic clock)', () => {
  const settings = haSettings({ group: 'prod', node: 'b', lease: 5 });

  test('standby until it holds the lease; a takeover is one warn line naming the old and the new leader', async () => {
    const lease = new ScriptedLease();
    const { logger, lines } = recordingLogger();
    const now = 0;
    const c = new HaCoordinator(lease, settings, logger, () => now);
    await c.tick();
    assert.equal(c.isOpen(), false);
    assert.equal(c.epoch, undefined);
    assert.equal(c.health().leader, 'other', 'the standby says who leads when the backend can tell');
    lease.acquireReply = { epoch: 4, previous: 'a' };
    await c.tick();
    assert.equal(c.isOpen(), true);
    assert.equal(c.epoch, 4);
    const warns = lines.filter((l) => l.level === 'warn');
    assert.equal(warns.length, 1);
    assert.equal(warns[0].msg, 'HA takeover: b is now the leader of prod (was a), epoch 4');
    assert.deepEqual([warns[0].fields.previousLeader, warns[0].fields.leader], ['a', 'b']);
    assert.equal(c.health().takeovers, 1);
  });

  test('renewal errors keep the lead until the lease runs out; then the gate shuts', async () => {
    const lease = new ScriptedLease();
    let now = 0;
    const c = new HaCoordinator(lease, settings, silentLogger, () => now);
    lease.acquireReply = { epoch: 1, previous: null };
    await c.tick();
    lease.renewReply = new Error('connection reset');
    now = 3;
    await c.tick();
    assert.equal(c.isOpen(), true, 'a failed renewal is not a lost lease');
    assert.ok(c.health().lastError?.includes('connection reset'));
    now = 5.01;
    assert.equal(c.isOpen(), false);
    assert.equal(c.health().role, 'standby');
    assert.equal(c.health().lost, 1);
  });

  test('a renewal extends the lease from when it was sent; one the backend refuses shuts the gate at once', async () => {
    const lease = new ScriptedLease();
    let now = 0;
    const c = new HaCoordinator(lease, settings, silentLogger, () => now);
    lease.acquireReply = { epoch: 2, previous: 'b' };
    await c.tick();
    now = 4;
    await c.tick();
    now = 8.9;
    assert.equal(c.isOpen(), true, 'renewed at 4: valid until 9');
    assert.ok(Math.abs(c.health().leaseAgeSecs! - 4.9) < 1e-9);
    lease.renewReply = false;
    await c.tick();
    assert.equal(c.isOpen(), false);
    assert.equal(lease.released, 1, 'it lets the backend forget it');
  });

  test('an answer that arrives after the lease would have run out is given back, never used', async () => {
    const lease = new ScriptedLease();
    let now = 0;
    lease.acquire = async () => { now = 6; return { epoch: 9, previous: 'a' }; };
    const c = new HaCoordinator(lease, settings, silentLogger, () => now);
    await c.tick();
    assert.equal(c.isOpen(), false);
    assert.equal(lease.released, 1);
  });

  test('stop() releases the lead so a standby need not wait for the lease to run out', async () => {
    const lease = new ScriptedLease();
    const c = new HaCoordinator(lease, settings, silentLogger, () => 0);
    lease.acquireReply = { epoch: 1, previous: null };
    await c.start();
    assert.equal(c.isOpen(), true);
    await c.stop();
    assert.equal(c.isOpen(), false);
    assert.equal(lease.released, 1);
  });
});
