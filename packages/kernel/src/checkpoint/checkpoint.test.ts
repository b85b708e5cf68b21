import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { silentLogger, type Logger, type Timer } from '@evcam/camera-api';
import { Ingestor } from '../ingest/ingestor.js';
import { CeleryState, type StateLimits } from '../state/state.js';
import { Checkpointer, type CheckpointedReceiver } from './checkpointer.js';
import { fingerprint, RedeliveryGuard } from './redelivery.js';
import { CHECKPOINT_FORMAT } from './store.js';

const FIXTURES = new URL('../../../../test/fixtures/', import.meta.url);

interface Line { recv_ts: number; body: string; properties: { content_type?: string; content_encoding?: string } }
const lines = (name: string): Line[] =>
  readFileSync(new URL(name, FIXTURES), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);

/** A seeded shuffle, so children often arrive before their parent (orphans). */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = items.slice();
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const noTimer: Timer = { callLater: () => () => {}, callRepeatedly: () => () => {} };

function kernelParts(limits: Partial<StateLimits>) {
  const state = new CeleryState(limits);
  const ingestor = new Ingestor(state, silentLogger, { localUtcoffset: () => 0 });
  return { state, ingestor };
}

function feed(ingestor: Ingestor, from: Line[]): void {
  for (const l of from) {
    ingestor.receive({ body: l.body, contentType: l.properties.content_type, contentEncoding: l.properties.content_encoding }, l.recv_ts);
  }
}

const snapshotOf = (state: CeleryState) => JSON.stringify(state.snapshot(0, 1, 2e9).snapshot);

function capturingLogger(): Logger & { lines: { level: string; obj: unknown; msg?: string }[] } {
  const lines: { level: string; obj: unknown; msg?: string }[] = [];
  const log = (level: string) => (obj: unknown, msg?: string) => { lines.push({ level, obj, msg }); };
  const logger = { trace: log('trace'), debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), fatal: log('fatal'),
    child: () => logger, lines } as unknown as Logger & { lines: typeof lines };
  return logger;
}

describe('checkpoint: save, crash, restore, carry on', () => {
  const cases: [string, Partial<StateLimits>, number?][] = [
    ['rabbitmq-5.2.6.jsonl', {}],
    ['spawn-5.2.6.jsonl', {}],
    ['spawn-5.2.6.jsonl', { maxTasksInMemory: 25 }],
    ['spawn-5.2.6.jsonl', { maxTasksInMemory: 10, maxWorkersInMemory: 1 }],
    ['restart-5.2.6.jsonl', { maxTasksInMemory: 5, maxWorkersInMemory: 2 }],
    ['spawn-5.2.6.jsonl', {}, 7],
    ['spawn-5.2.6.jsonl', { maxTasksInMemory: 30 }, 11],
  ];
  for (const [fixture, limits, seed] of cases) {
    test(`${fixture}${seed ? ` shuffled(${seed})` : ''} ${JSON.stringify(limits)}: restoring at any point ends in the same snapshot as never stopping`, async () => {
      const stream = seed ? shuffled(lines(fixture), seed) : lines(fixture);
      const straight = kernelParts(limits);
      feed(straight.ingestor, stream);
      const expected = snapshotOf(straight.state);
      const dir = mkdtempSync(join(tmpdir(), 'evcam-cp-'));
      const step = Math.max(1, Math.floor(stream.length / 23));
      for (let cut = 0; cut <= stream.length; cut += step) {
        const file = join(dir, `cp-${cut}.json`);
        const before = kernelParts(limits);
        feed(before.ingestor, stream.slice(0, cut));
        await new Checkpointer({ file, state: before.state, ingestor: before.ingestor, receiver: null, timer: noTimer, logger: silentLogger }).close();
        const after = kernelParts(limits);
        assert.equal(new Checkpointer({ file, state: after.state, ingestor: after.ingestor, receiver: null, timer: noTimer, logger: silentLogger }).restore(), 'restored');
        assert.equal(snapshotOf(after.state), snapshotOf(before.state), `restored State differs at message ${cut}`);
        feed(after.ingestor, stream.slice(cut));
        assert.equal(snapshotOf(after.state), expected, `final snapshot differs after a restart at message ${cut}`);
      }
    });
  }

  test('a checkpoint carries the fingerprints of unacked messages and commits only after the file is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-cp-'));
    const file = join(dir, 'cp.json');
    const { state, ingestor } = kernelParts({});
    let acks = 0;
    const guard = new RedeliveryGuard(100);
    const receiver: CheckpointedReceiver = {
      checkpointCut: () => guard.cut(() => { acks++; }),
      expectRedelivered: (f) => guard.expect(f),
      onAckBacklog: null,
    };
    guard.admit('a', false);
    guard.admit('b', false);
    const cp = new Checkpointer({ file, state, ingestor, receiver, timer: noTimer, logger: silentLogger });
    const written = cp.write();
    guard.admit('c', false); // arrives while the file is being written: not covered
    await written;
    assert.equal(acks, 1);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).fingerprints, ['a', 'b'].map(fingerprint));
    assert.equal(guard.unacked, 1);
    // After a restart, redelivered a/b are skipped; c (not in the checkpoint) is folded.
    const restarted = new RedeliveryGuard(100);
    const after = kernelParts({});
    new Checkpointer({ file, state: after.state, ingestor: after.ingestor, receiver: { ...receiver, expectRedelivered: (f) => restarted.expect(f) }, timer: noTimer, logger: silentLogger }).restore();
    assert.deepEqual(['a', 'b', 'c'].map((fp) => restarted.admit(fp, true)), [true, true, false]);
    assert.equal(restarted.duplicates, 2);
  });

  for (const [what, content] of [
    ['truncated JSON', '{"format":"evcam.checkpoint/1","lamport":3,"fing'],
    ['another format version', JSON.stringify({ format: 'evcam.checkpoint/999', lamport: 1, fingerprints: [], state: {} })],
    ['a malformed State', JSON.stringify({ format: CHECKPOINT_FORMAT, writtenAt: 0, lamport: 1, fingerprints: [],
      state: { eventCount: 1, taskCount: 0, position: 1, tasks: [{ uuid: 7 }], workers: [], orphans: [] } })],
    ['binary garbage', '\u0000\u00ff\u0001garbage'],
  ] as const) {
    test(`${what} is moved aside with a clear log line and the State starts empty`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'evcam-cp-'));
      const file = join(dir, 'cp.json');
      writeFileSync(file, content);
      const { state, ingestor } = kernelParts({});
      const logger = capturingLogger();
      const outcome = new Checkpointer({ file, state, ingestor, receiver: null, timer: noTimer, logger }).restore();
      assert.equal(outcome, 'moved-aside');
      assert.equal(state.tasks.size + state.workers.size + state.eventCount, 0);
      const files = readdirSync(dir);
      assert.deepEqual(files.filter((f) => f === 'cp.json'), []);
      const aside = files.find((f) => f.startsWith('cp.json.corrupt-'));
      assert.ok(aside, `moved aside: ${files.join(', ')}`);
      assert.equal(readFileSync(join(dir, aside), 'utf8'), content);
      const line = logger.lines.find((l) => l.level === 'error');
      assert.match(line?.msg ?? '', /checkpoint is unusable .* moved it aside/);
      assert.equal((line?.obj as { movedTo: string }).movedTo, join(dir, aside));
    });
  }

  test('a missing checkpoint is a normal first start', () => {
    const { state, ingestor } = kernelParts({});
    const dir = mkdtempSync(join(tmpdir(), 'evcam-cp-'));
    assert.equal(new Checkpointer({ file: join(dir, 'none.json'), state, ingestor, receiver: null, timer: noTimer, logger: silentLogger }).restore(), 'missing');
  });
});

describe('RedeliveryGuard', () => {
  test('a lost channel turns unacked messages into expected redeliveries; fresh deliveries are never skipped', () => {
    const guard = new RedeliveryGuard(10);
    guard.admit('x', false);
    guard.admit('y', false);
    guard.channelLost();
    assert.equal(guard.admit('x', false), false, 'not flagged redelivered: a new message with equal bytes');
    assert.equal(guard.admit('y', true), true);
    assert.equal(guard.admit('y', true), false, 'each expected message is skipped once');
  });

  test('a cut taken before a lost channel does not ack or drop the messages of the new channel', () => {
    const guard = new RedeliveryGuard(10);
    guard.admit('x', false);
    let acked = 0;
    const cut = guard.cut(() => { acked++; });
    guard.channelLost();
    guard.admit('z', false);
    cut.commit();
    assert.equal(acked, 0);
    assert.equal(guard.unacked, 1);
  });

  test('expected fingerprints are bounded', () => {
    const guard = new RedeliveryGuard(3);
    guard.expect(['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(guard.cut(() => {}).fingerprints, ['c', 'd', 'e']);
  });
});

describe('checkpoint: the cached task entries', () => {
  const cases: [string, Partial<StateLimits>, number?][] = [
    ['spawn-5.2.6.jsonl', { maxTasksInMemory: 10, maxWorkersInMemory: 1 }],
    ['restart-5.2.6.jsonl', { maxTasksInMemory: 5, maxWorkersInMemory: 2 }],
    ['spawn-5.2.6.jsonl', { maxTasksInMemory: 30 }, 11],
    ['rabbitmq-5.2.6.jsonl', {}, 7],
  ];
  for (const [fixture, limits, seed] of cases) {
    test(`${fixture}${seed ? ` shuffled(${seed})` : ''} ${JSON.stringify(limits)}: saveJson() is JSON.stringify(save()) at every point, re-serialising only changed tasks`, () => {
      const stream = seed ? shuffled(lines(fixture), seed) : lines(fixture);
      const { state, ingestor } = kernelParts(limits);
      const step = Math.max(1, Math.floor(stream.length / 29));
      let reused = 0;
      for (let at = 0; at < stream.length; at += step) {
        feed(ingestor, stream.slice(at, at + step));
        for (const task of state.tasks.values()) if (task.saved !== null) reused++;
        const pieces = state.saveJson();
        assert.equal(pieces.join(''), JSON.stringify(state.save()), `after ${at + step} messages`);
        const entries = new Map<string, string>();
        for (const piece of pieces) if (piece.startsWith('{"uuid":')) entries.set((JSON.parse(piece) as { uuid: string }).uuid, piece);
        assert.equal(entries.size, state.tasks.size, 'one cached entry per task');
        // Clear the ready tasks once midway (parents lose children, children leave): the cache must follow.
        if (at <= stream.length / 2 && at + step > stream.length / 2) state.clearTasks(true);
      }
      // Entries still cached when the next checkpoint comes are written as they are (and were equal above).
      assert.ok(reused > 0, 'unchanged tasks keep their serialised entry between checkpoints');
    });
  }
});
