// High availability end to end: two real kernels of one group on the real RabbitMQ (and Redis). The
// leader is killed (-9) or paused (SIGSTOP) mid-stream; the standby takes over, nothing is lost or
// counted twice, and no snapshot is written by two leaders: a standby writes nothing before it
// leads, and a paused leader that wakes up writes nothing after the new leader's first shutter.
import assert from 'node:assert/strict';
import { waitUntil } from '@evcam/camera-testkit';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { diffAgainstGolden, formatDiffs, readJson, type Golden } from './helpers/golden.js';
import { goldenWithCustom, haNodeConfig, hostileStream, publishSteadily, recorded } from './helpers/ha.js';
import { startKernel, type KernelRun } from './helpers/kernel-process.js';
import { fixture } from './helpers/paths.js';
import { createVhost } from './helpers/rabbit.js';
import { ensureRedis } from './helpers/redis.js';
import { captured, freePort, healthz, readLatest, scrape, withoutLiveFields } from './helpers/reliability.js';

interface Node { name: string; run: KernelRun; port: number; latest: string }

const PG_URL = process.env.EVCAM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const role = async (n: Node): Promise<string | null> => healthz(n.port).then((h) => h.ha?.role ?? null, () => null);
const golden = (name: string): Golden => withoutLiveFields(readJson<Golden>(fixture(name)));

async function assertEqualsGolden(latest: string, expected: Golden): Promise<void> {
  const diffs = diffAgainstGolden(withoutLiveFields((await readLatest(latest))!), expected);
  assert.equal(diffs.length, 0, formatDiffs(diffs));
}

describe('high availability (two kernel processes, one group)', () => {
  let vhost: ReturnType<typeof createVhost>;
  const running: KernelRun[] = [];
  before(() => { vhost = createVhost('evcam-ha'); });
  after(async () => {
    for (const run of running) {
      if (run.child.exitCode === null) run.child.kill('SIGCONT');
      await run.stop('SIGKILL');
    }
    vhost.remove();
  });

  async function node(dir: string, name: string, group: string, log: string, broker = vhost.url, nodes?: string[], extraCameras?: unknown[]): Promise<Node> {
    const port = await freePort();
    const config = haNodeConfig(dir, name, { broker, group, log, httpPort: port, lease: 2, nodes, extraCameras });
    const run = startKernel(['--config', config], { env: { XDG_STATE_HOME: join(dir, name, 'state') } });
    running.push(run);
    await waitUntil(async () => {
      if (run.child.exitCode !== null) throw new Error(`kernel ${name} exited (${run.child.exitCode}):\n${run.stderr().slice(-3000)}`);
      return healthz(port).then((h) => h.receiver?.connected === true && h.ha !== null, () => false);
    }, `kernel ${name} up`, { timeoutMs: 20_000 });
    return { name, run, port, latest: join(dir, name, 'snapshots', 'latest.json') };
  }

  test('kill -9 the leader mid-stream: the standby leads within 5 s, equals the golden, wrote nothing before; the old leader restarts as standby and converges', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-ha-'));
    const group = `g-${randomUUID().slice(0, 8)}`;
    const log = join(dir, 'shutters.jsonl');
    const a = await node(dir, 'a', group, log);
    await waitUntil(async () => (await role(a)) === 'leader', 'a leads', { timeoutMs: 10_000 });
    const b = await node(dir, 'b', group, log);
    assert.equal(await role(b), 'standby');

    const custom = 20;
    const stream = hostileStream(captured(), { bad: 300, custom, seed: 3 });
    let linesAtKill = -1;
    let killed = false;
    await publishSteadily(vhost.url, stream, {
      chunk: 25, pauseMs: 30,
      afterChunk: async (_i, sent) => {
        if (killed || sent < stream.length / 2) return;
        await waitUntil(() => recorded(log).some((l) => l.node === 'a'), 'a shutter by the leader', { timeoutMs: 10_000 });
        a.run.child.kill('SIGKILL');
        const killedAt = performance.now();
        killed = true;
        linesAtKill = recorded(log).length;
        // The standby takes over within 5 s of the leader's death (the promise).
        await waitUntil(async () => (await role(b)) === 'leader', 'b leads within 5 s', { timeoutMs: 5_000 });
        t.diagnostic(`AMQP: kill -9 to standby leading: ${Math.round(performance.now() - killedAt)} ms`);
      },
    });
    assert.ok(killed);
    const expected = goldenWithCustom(golden('rabbitmq-5.2.6.golden.json'), custom);
    await waitUntil(async () => ((await readLatest(b.latest))?.event_count ?? 0) >= expected.event_count, `${expected.event_count} events in b's latest.json`, { timeoutMs: 30_000 });
    await assertEqualsGolden(b.latest, expected);
    const hb = await healthz(b.port);
    assert.equal(hb.state.eventCount, expected.event_count, 'event_count = valid events published, custom ones included');
    assert.equal(hb.ha.takeovers, 1);

    const lines = recorded(log);
    const aEpoch = lines.find((l) => l.node === 'a')!.epoch!;
    assert.ok(lines.slice(0, linesAtKill).every((l) => l.node === 'a'), 'the standby wrote nothing while a led');
    const byB = lines.filter((l) => l.node === 'b');
    assert.ok(byB.length > 0 && byB.every((l) => l.epoch === hb.ha.epoch && l.epoch! > aEpoch), `b's snapshots carry its higher epoch: ${JSON.stringify(byB.slice(0, 3))}`);
    assert.match(b.run.stderr(), /HA takeover: b is now the leader of \S+ \(was a\)/, 'one warn line naming old and new leader');
    assert.equal(b.run.stderr().split('\n').filter((l) => l.includes('HA takeover')).length, 1);
    const metrics = await scrape(b.port);
    assert.equal(metrics.get(`evcam_ha_leader{group="${group}",node="b"}`), 1);
    assert.equal(metrics.get(`evcam_ha_takeovers_total{group="${group}",node="b"}`), 1);

    // The old leader comes back: a standby now, its own queue and checkpoint bring it to the same State.
    const again = await node(dir, 'a', group, log);
    assert.equal(await role(again), 'standby');
    await again.run.waitFor('restored the State from the checkpoint');
    await waitUntil(async () => (await healthz(again.port)).state.eventCount === expected.event_count, 'the restarted node caught up', { timeoutMs: 30_000 });
    const linesBefore = recorded(log).length;
    // Hand the lead back with a clean stop: its final shutter goes out before the lease is released.
    assert.equal(await b.run.stop('SIGTERM'), 0, b.run.stderr());
    await waitUntil(async () => (await role(again)) === 'leader', 'a leads again', { timeoutMs: 10_000 });
    await waitUntil(() => recorded(log).slice(linesBefore).some((l) => l.node === 'a'), 'a shutter by the restarted node', { timeoutMs: 10_000 });
    await waitUntil(async () => ((await readLatest(again.latest))?.seq ?? 0) >= 1 && (await readLatest(again.latest))!.event_count === expected.event_count, 'a wrote its State', { timeoutMs: 10_000 });
    await assertEqualsGolden(again.latest, expected);
    assert.equal(await again.run.stop('SIGTERM'), 0);
  });

  test('SIGSTOP the leader past its lease: the standby takes over; after SIGCONT the old leader writes nothing and stands by', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-ha-'));
    const group = `g-${randomUUID().slice(0, 8)}`;
    const log = join(dir, 'shutters.jsonl');
    const a = await node(dir, 'a', group, log);
    await waitUntil(async () => (await role(a)) === 'leader', 'a leads', { timeoutMs: 10_000 });
    const b = await node(dir, 'b', group, log);
    const stream = hostileStream(captured(), { bad: 0, custom: 0, seed: 1 });
    const half = Math.floor(stream.length / 2);
    await publishSteadily(vhost.url, stream.slice(0, half), { chunk: 50, pauseMs: 20 });
    await waitUntil(() => recorded(log).some((l) => l.node === 'a'), 'a shutter by the leader', { timeoutMs: 10_000 });

    a.run.child.kill('SIGSTOP');
    const stoppedAt = performance.now();
    // RabbitMQ drops the silent lease connection after its heartbeat (= the 2 s lease).
    await waitUntil(() => recorded(log).some((l) => l.node === 'b'), 'the first shutter of the new leader', { timeoutMs: 20_000 });
    t.diagnostic(`AMQP: SIGSTOP to the new leader's first shutter: ${Math.round(performance.now() - stoppedAt)} ms (lease 2 s)`);
    const firstOfB = recorded(log).findIndex((l) => l.node === 'b');
    a.run.child.kill('SIGCONT');
    await publishSteadily(vhost.url, stream.slice(half), { chunk: 50, pauseMs: 20 });
    await waitUntil(async () => (await role(a)) === 'standby', 'a back to standby', { timeoutMs: 10_000 });
    const seenAt = recorded(log).length;
    await waitUntil(() => recorded(log).slice(seenAt).filter((l) => l.node === 'b').length >= 5, 'b keeps writing while a is awake', { timeoutMs: 10_000 });

    const lines = recorded(log);
    const late = lines.slice(firstOfB).filter((l) => l.node === 'a');
    assert.deepEqual(late, [], 'the paused leader wrote nothing after the new leader\'s first shutter');
    const ha = (await healthz(a.port)).ha;
    assert.equal(ha.role, 'standby');
    assert.ok(ha.lost >= 1, 'it knows it lost the lead');
    assert.match(a.run.stderr(), /HA: no longer the leader; cameras stop writing, standing by/);
    const epochs = lines.filter((l) => l.node === 'b').map((l) => l.epoch!);
    assert.ok(epochs.every((e) => e > lines.find((l) => l.node === 'a')!.epoch!), 'the new leader\'s snapshots carry a higher epoch');
    const expected = golden('rabbitmq-5.2.6.golden.json');
    await waitUntil(async () => ((await readLatest(b.latest))?.event_count ?? 0) >= expected.event_count, 'b folded everything', { timeoutMs: 30_000 });
    await assertEqualsGolden(b.latest, expected);
    await waitUntil(async () => (await healthz(a.port)).state.eventCount === expected.event_count, 'the old leader folded everything too', { timeoutMs: 30_000 });
    for (const n of [a, b]) assert.equal(await n.run.stop('SIGTERM'), 0, n.run.stderr());
  });

  test('a standby started after the leader (ha.nodes: its queue was declared by the leader) converges to the same State', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-ha-'));
    const group = `g-${randomUUID().slice(0, 8)}`;
    const log = join(dir, 'shutters.jsonl');
    const a = await node(dir, 'a', group, log, vhost.url, ['a', 'b']);
    await waitUntil(async () => (await role(a)) === 'leader', 'a leads', { timeoutMs: 10_000 });
    const stream = hostileStream(captured(), { bad: 100, custom: 5, seed: 9 });
    const half = Math.floor(stream.length / 2);
    await publishSteadily(vhost.url, stream.slice(0, half), { chunk: 50, pauseMs: 10 });
    const b = await node(dir, 'b', group, log, vhost.url, ['a', 'b']);
    assert.equal(await role(b), 'standby');
    await publishSteadily(vhost.url, stream.slice(half), { chunk: 50, pauseMs: 10 });
    const expected = goldenWithCustom(golden('rabbitmq-5.2.6.golden.json'), 5);
    await waitUntil(async () => (await healthz(b.port)).state.eventCount === expected.event_count, 'the late standby folded everything', { timeoutMs: 30_000 });
    await waitUntil(async () => (await readLatest(a.latest))?.event_count === expected.event_count, 'the leader wrote everything', { timeoutMs: 30_000 });
    await assertEqualsGolden(a.latest, expected);
    assert.ok(recorded(log).every((l) => l.node === 'a'), 'the standby wrote nothing');
    // Its State, written once it leads, is the leader's.
    assert.equal(await a.run.stop('SIGTERM'), 0, a.run.stderr());
    await waitUntil(async () => (await readLatest(b.latest))?.event_count === expected.event_count, 'b leads and writes', { timeoutMs: 10_000 });
    await assertEqualsGolden(b.latest, expected);
    assert.equal(await b.run.stop('SIGTERM'), 0, b.run.stderr());
  });

  test('PostgreSQL history camera on both: the epochs reach the database, never decreasing; it holds the golden\'s tasks', async () => {
    const schema = `evcam_ha_${randomUUID().slice(0, 8)}`;
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'evcam-ha-'));
      const group = `g-${randomUUID().slice(0, 8)}`;
      const log = join(dir, 'shutters.jsonl');
      const history = [{ use: 'postgres', options: { url: PG_URL, schema } }];
      const a = await node(dir, 'a', group, log, vhost.url, undefined, history);
      await waitUntil(async () => (await role(a)) === 'leader', 'a leads', { timeoutMs: 10_000 });
      const b = await node(dir, 'b', group, log, vhost.url, undefined, history);
      const stream = hostileStream(captured(), { bad: 50, custom: 0, seed: 5 });
      let killed = false;
      await publishSteadily(vhost.url, stream, {
        chunk: 25, pauseMs: 30,
        afterChunk: async (_i, sent) => {
          if (killed || sent < stream.length / 2) return;
          await waitUntil(async () => Number((await db.query(`SELECT count(*) AS n FROM "${schema}".shutters`)).rows[0].n) > 0, 'a shutter in PostgreSQL', { timeoutMs: 10_000 });
          a.run.child.kill('SIGKILL');
          killed = true;
          await waitUntil(async () => (await role(b)) === 'leader', 'b leads', { timeoutMs: 5_000 });
        },
      });
      const expected = golden('rabbitmq-5.2.6.golden.json');
      await waitUntil(async () => Number((await db.query(`SELECT max(event_count) AS n FROM "${schema}".shutters`)).rows[0].n) >= expected.event_count, 'the final State in PostgreSQL', { timeoutMs:
        30_000 });
      assert.equal(await b.run.stop('SIGTERM'), 0, b.run.stderr());
      const shutters = (await db.query(`SELECT seq, epoch FROM "${schema}".shutters ORDER BY seq`)).rows.map((r) => Number(r.epoch));
      assert.ok(shutters.length > 1);
      assert.deepEqual(shutters, [...shutters].sort((x, y) => x - y), `epochs never go back: ${shutters.join(',')}`);
      const epochs = [...new Set(shutters)];
      assert.equal(epochs.length, 2, 'two leaders wrote, one after the other');
      const meta = (await db.query(`SELECT value FROM "${schema}".meta WHERE key = 'epoch'`)).rows[0];
      assert.equal(Number(meta.value), epochs[1]);
      const tasks = (await db.query(`SELECT uuid, state FROM "${schema}".tasks`)).rows as { uuid: string; state: string }[];
      assert.deepEqual(Object.fromEntries(tasks.map((t) => [t.uuid, t.state])),
        Object.fromEntries(Object.entries(expected.tasks).map(([uuid, t]) => [uuid, (t as { state: string }).state])), 'every task, in its final state');
    } finally {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
      await db.end();
    }
  });

  test('the same takeover on a Redis broker (SET NX PX lease, INCR epoch)', async (t) => {
    await ensureRedis();
    const db = 14;
    const broker = `redis://127.0.0.1:6379/${db}`;
    const dir = mkdtempSync(join(tmpdir(), 'evcam-ha-'));
    const group = `g-${randomUUID().slice(0, 8)}`;
    const log = join(dir, 'shutters.jsonl');
    const redis = new Redis({ host: '127.0.0.1', port: 6379, db });
    try {
      const a = await node(dir, 'a', group, log, broker);
      await waitUntil(async () => (await role(a)) === 'leader', 'a leads', { timeoutMs: 10_000 });
      const b = await node(dir, 'b', group, log, broker);
      assert.equal((await healthz(b.port)).ha.leader, 'a', 'Redis tells the standby who leads');
      const lines = readFileSync(fixture('redis-5.2.6.jsonl'), 'utf8').split('\n').filter(Boolean)
        .map((l) => JSON.parse(l) as { channel: string; data: string });
      let linesAtKill = -1;
      for (const [i, l] of lines.entries()) {
        await redis.publish(`/${db}.${l.channel.slice('/7.'.length)}`, l.data);
        if (i % 20 === 19) await new Promise((r) => setTimeout(r, 30));
        if (i === Math.floor(lines.length / 2)) {
          await waitUntil(() => recorded(log).some((r) => r.node === 'a'), 'a shutter by the leader', { timeoutMs: 10_000 });
          a.run.child.kill('SIGKILL');
          const killedAt = performance.now();
          linesAtKill = recorded(log).length;
          await waitUntil(async () => (await role(b)) === 'leader', 'b leads within 5 s', { timeoutMs: 5_000 });
          t.diagnostic(`Redis: kill -9 to standby leading: ${Math.round(performance.now() - killedAt)} ms (lease 2 s)`);
        }
      }
      const expected = golden('redis-5.2.6.golden.json');
      await waitUntil(async () => ((await readLatest(b.latest))?.event_count ?? 0) >= expected.event_count, `${expected.event_count} events in b's latest.json`, { timeoutMs: 30_000 });
      await assertEqualsGolden(b.latest, expected);
      const shutters = recorded(log);
      assert.ok(shutters.slice(0, linesAtKill).every((l) => l.node === 'a'), 'the standby wrote nothing while a led');
      assert.ok(shutters.filter((l) => l.node === 'b').every((l) => l.epoch! > shutters[0].epoch!));
      assert.match(b.run.stderr(), /HA takeover: b is now the leader of \S+ \(was a\)/);
      assert.equal(await b.run.stop('SIGTERM'), 0, b.run.stderr());
    } finally {
      await redis.del(`{evcam.${group}}.leader`, `{evcam.${group}}.epoch`, `{evcam.${group}}.last-leader`);
      await redis.quit();
    }
  });
});
