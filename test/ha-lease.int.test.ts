// Leadership on the real brokers: one holder at a time, epochs that only grow, a dead or silent
// holder replaced, and the gate shut by the lease's own deadline (tests/real RabbitMQ and Redis).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { silentLogger } from '@evcam/camera-api';
import { waitUntil } from '@evcam/camera-testkit';
import amqp from 'amqplib';
import { AmqpLease, amqpConnectOptions, HaCoordinator, haSettings, parseAmqpUrl, receiverSchema, RedisLease, type LeaseBackend } from 'evcam-kernel';
import { Redis } from 'ioredis';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672//';
const REDIS = { host: '127.0.0.1', port: 6379 };
const receiver = receiverSchema.parse({});

interface Backend {
  name: string;
  make(group: string, node: string, leaseSecs: number): LeaseBackend;
  cleanup(group: string): Promise<void>;
}

const backends: Backend[] = [
  {
    name: 'Redis (SET NX PX + INCR)',
    make: (group, node, lease) => new RedisLease(REDIS, group, node, lease, silentLogger),
    async cleanup(group) {
      const r = new Redis(REDIS);
      await r.del(`{evcam.${group}}.leader`, `{evcam.${group}}.epoch`, `{evcam.${group}}.last-leader`);
      await r.quit();
    },
  },
  {
    name: 'RabbitMQ (exclusive queue + epoch queue)',
    make: (group, node, lease) => new AmqpLease(amqpConnectOptions(parseAmqpUrl(AMQP_URL), receiver, '.'), group, node, lease, silentLogger),
    async cleanup(group) {
      const conn = await amqp.connect(AMQP_URL);
      const ch = await conn.createChannel();
      for (const q of [`evcam.epoch.${group}`, `evcam.last-leader.${group}`]) await ch.deleteQueue(q);
      await conn.close();
    },
  },
];

for (const backend of backends) {
  describe(`HA lease on ${backend.name}`, () => {
    const groups: string[] = [];
    const open: LeaseBackend[] = [];
    const group = () => { const g = `t-${randomUUID().slice(0, 8)}`; groups.push(g); return g; };
    const make = (g: string, node: string, lease = 2) => { const l = backend.make(g, node, lease); open.push(l); return l; };
    after(async () => {
      for (const l of open) await l.close().catch(() => {});
      for (const g of groups) await backend.cleanup(g);
    });

    test('one holder at a time; a released lead goes to the next node with a higher epoch, naming the previous one', async () => {
      const g = group();
      const a = make(g, 'node-a');
      const b = make(g, 'node-b');
      const first = await a.acquire();
      assert.ok(first !== null, 'a leads');
      assert.equal(first.epoch, 1);
      assert.equal(await b.acquire(), null, 'b is refused while a holds it');
      assert.equal(await a.renew(), true);
      await a.release();
      const second = await b.acquire();
      assert.ok(second !== null, 'b leads once a gave it up');
      assert.equal(second.epoch, 2, 'epochs only grow');
      assert.equal(second.previous, 'node-a');
      assert.equal(await a.renew(), false, 'a no longer holds it');
      assert.equal(await a.acquire(), null);
    });

    test('a holder that closes (dies) is replaced without being released', async () => {
      const g = group();
      const a = make(g, 'node-a', 1);
      const b = make(g, 'node-b', 1);
      assert.ok(await a.acquire());
      await a.close(); // AMQP: the connection goes, RabbitMQ drops the exclusive queue. Redis: the key expires.
      let taken: Awaited<ReturnType<LeaseBackend['acquire']>> = null;
      await waitUntil(async () => (taken = await b.acquire()) !== null, 'b to take over', { timeoutMs: 10_000, intervalMs: 100 });
      assert.equal(taken!.epoch, 2);
    });

    test('the coordinator: one leader among three; it steps down at shutdown and another takes over with the next epoch', async () => {
      const g = group();
      const nodes = ['n1', 'n2', 'n3'].map((node) => new HaCoordinator(make(g, node, 2), { ...haSettings({ group: g, node, lease: 2 }), retryEvery: 0.1 }, silentLogger));
      for (const n of nodes) await n.start();
      await waitUntil(() => nodes.filter((n) => n.isOpen()).length === 1, 'one leader', { timeoutMs: 5000 });
      const leader = nodes.find((n) => n.isOpen())!;
      assert.equal(leader.epoch, 1);
      assert.equal(nodes.filter((n) => n.epoch !== undefined).length, 1, 'only the leader has an epoch for its snapshots');
      await leader.stop();
      const rest = nodes.filter((n) => n !== leader);
      await waitUntil(() => rest.filter((n) => n.isOpen()).length === 1, 'a new leader', { timeoutMs: 10_000 });
      const next = rest.find((n) => n.isOpen())!;
      assert.equal(next.epoch, 2);
      assert.equal(next.health().takeovers, 1);
      assert.equal(next.health().role, 'leader');
      for (const n of rest) await n.stop();
    });
  });
}

test('Redis lost the epoch counter (restart without persistence): the next leader still gets a higher epoch than any seen', async () => {
  const g = `t-${randomUUID().slice(0, 8)}`;
  const r = new Redis(REDIS);
  const a = new RedisLease(REDIS, g, 'a', 2, silentLogger);
  const b = new RedisLease(REDIS, g, 'b', 2, silentLogger);
  try {
    await r.set(`{evcam.${g}}.epoch`, '41');
    assert.equal((await a.acquire())?.epoch, 42);
    assert.equal(await b.acquire(), null);
    assert.equal(await b.leader(), 'a', 'the standby learns who leads, and the epoch');
    await r.del(`{evcam.${g}}.leader`, `{evcam.${g}}.epoch`); // the flushed Redis
    assert.equal((await b.acquire())?.epoch, 43);
  } finally {
    await a.close();
    await b.close();
    await r.del(`{evcam.${g}}.leader`, `{evcam.${g}}.epoch`, `{evcam.${g}}.last-leader`);
    await r.quit();
  }
});

test('the gate shuts when the lease deadline passes by the monotonic clock, before any timer or renewal runs', async () => {
  let now = 100;
  const lease: LeaseBackend = {
    kind: 'redis', validFor: 5,
    acquire: async () => ({ epoch: 7, previous: 'old' }),
    renew: async () => true, release: async () => {}, leader: async () => null, close: async () => {},
  };
  const roles: string[] = [];
  const c = new HaCoordinator(lease, { ...haSettings({ group: 'g', node: 'me', lease: 5 }) }, silentLogger, () => now);
  c.onRoleChange = (role) => roles.push(role);
  await c.start();
  assert.equal(c.isOpen(), true);
  assert.equal(c.epoch, 7);
  now += 4.9;
  assert.equal(c.isOpen(), true, 'still within the lease');
  now += 0.2; // e.g. SIGSTOP for longer than the lease, woken before any timer fired
  assert.equal(c.isOpen(), false, 'shut at once on waking');
  assert.equal(c.epoch, undefined);
  assert.deepEqual(roles, ['leader', 'standby']);
  assert.equal(c.health().lost, 1);
  await c.stop();
});
