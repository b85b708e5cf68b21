import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { silentLogger, type Logger, type Timer } from '@evcam/camera-api';
import { Ingestor } from '../ingest/ingestor.js';
import { CeleryState, type StateLimits } from '../state/state.js';
import { Checkpointer, type CheckpointedReceiver } from './checkpointer.js';
import { journalFile } from './journal.js';
import { fingerprint, RedeliveryGuard } from './redelivery.js';
import { applyChanges, type SavedChanges, type SavedState } from './state-codec.js';
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

for (const hashOnArrival of [false, true]) describe(`RedeliveryGuard${hashOnArrival ? ' hashing on arrival (checkpoint acks)' : ''}`, () => {
  test('a lost channel turns unacked messages into expected redeliveries; fresh deliveries are never skipped', () => {
    const guard = new RedeliveryGuard(10, hashOnArrival);
    guard.admit('x', false);
    guard.admit('y', false);
    guard.channelLost();
    assert.equal(guard.admit('x', false), false, 'not flagged redelivered: a new message with equal bytes');
    assert.equal(guard.admit('y', true), true);
    assert.equal(guard.admit('y', true), false, 'each expected message is skipped once');
  });

  test('a cut taken before a lost channel does not ack or drop the messages of the new channel', () => {
    const guard = new RedeliveryGuard(10, hashOnArrival);
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
    const guard = new RedeliveryGuard(3, hashOnArrival);
    guard.expect(['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(guard.cut(() => {}).fingerprints, ['c', 'd', 'e']);
  });
});

describe('checkpoint: the State in pieces', () => {
  const cases: [string, Partial<StateLimits>, number?][] = [
    ['spawn-5.2.6.jsonl', { maxTasksInMemory: 10, maxWorkersInMemory: 1 }],
    ['restart-5.2.6.jsonl', { maxTasksInMemory: 5, maxWorkersInMemory: 2 }],
    ['spawn-5.2.6.jsonl', { maxTasksInMemory: 30 }, 11],
    ['rabbitmq-5.2.6.jsonl', {}, 7],
  ];
  for (const [fixture, limits, seed] of cases) {
    test(`${fixture}${seed ? ` shuffled(${seed})` : ''} ${JSON.stringify(limits)}: saveJson() is JSON.stringify(save()) at every point, one piece per task`, () => {
      const stream = seed ? shuffled(lines(fixture), seed) : lines(fixture);
      const { state, ingestor } = kernelParts(limits);
      const step = Math.max(1, Math.floor(stream.length / 29));
      for (let at = 0; at < stream.length; at += step) {
        feed(ingestor, stream.slice(at, at + step));
        const pieces = state.saveJson();
        assert.equal(pieces.join(''), JSON.stringify(state.save()), `after ${at + step} messages`);
        const entries = new Set<string>();
        for (const piece of pieces) if (piece.startsWith('{"uuid":')) entries.add((JSON.parse(piece) as { uuid: string }).uuid);
        assert.equal(entries.size, state.tasks.size, 'one piece per task');
        // Clear the ready tasks once midway (parents lose children, children leave).
        if (at <= stream.length / 2 && at + step > stream.length / 2) state.clearTasks(true);
      }
    });
  }
});

describe('checkpoint journal: a full checkpoint plus the changes after it', () => {
  const cases: [string, Partial<StateLimits>, number?][] = [
    ['spawn-5.2.6.jsonl', {}],
    ['spawn-5.2.6.jsonl', { maxTasksInMemory: 10, maxWorkersInMemory: 1 }],
    ['spawn-5.2.6.jsonl', { maxTasksInMemory: 30 }, 11],
    ['restart-5.2.6.jsonl', { maxTasksInMemory: 5, maxWorkersInMemory: 2 }],
    ['rabbitmq-5.2.6.jsonl', {}, 7],
    ['rabbitmq-5.2.6.jsonl', { maxTasksInMemory: 40 }],
  ];
  for (const [fixture, limits, seed] of cases) {
    test(`${fixture}${seed ? ` shuffled(${seed})` : ''} ${JSON.stringify(limits)}: save() at the base + each entry applied = save() now, at every point`, () => {
      const stream = seed ? shuffled(lines(fixture), seed) : lines(fixture);
      const { state, ingestor } = kernelParts(limits);
      // Uneven steps, so an entry covers one message or many (LRU bumps, evictions, adoptions between).
      const steps = [1, 7, 2, 13, 3, 29, 1, 5];
      let base: SavedState = state.save();
      let mark = state.mark();
      const entries: SavedChanges[] = [];
      let removals = 0;
      let at = 0;
      for (let i = 0; at < stream.length; i++) {
        const step = steps[i % steps.length];
        feed(ingestor, stream.slice(at, at + step));
        at += step;
        if (i === 9) state.clearTasks(true); // clear_after-like: ready tasks leave, parents lose children
        if (i === 17) state.clear(); // workers, ready tasks and counters go
        const json = state.saveChangesJson(mark);
        assert.ok(json !== null, 'a recent mark can always be answered');
        entries.push(JSON.parse(json.join('')) as SavedChanges);
        removals += entries[entries.length - 1].removed.length;
        mark = state.mark();
        assert.deepEqual(applyChanges(base, entries), state.save(), `after ${at} messages (${entries.length} entries)`);
        if (i % 11 === 10) { // a full checkpoint now and then starts a new journal
          base = state.save();
          entries.length = 0;
        }
      }
      assert.ok(removals > 0, 'evictions and clears were journaled');
    });
  }

  test('an entry holds what changed, not what is held', () => {
    const stream = lines('rabbitmq-5.2.6.jsonl');
    const { state, ingestor } = kernelParts({});
    let at = Math.floor(stream.length / 2);
    feed(ingestor, stream.slice(0, at));
    const mark = state.mark();
    let entry: SavedChanges;
    do { // up to the first message that changes a task
      feed(ingestor, stream.slice(at, ++at));
      entry = JSON.parse((state.saveChangesJson(mark) as string[]).join('')) as SavedChanges;
    } while (entry.tasks.length === 0 && at < stream.length);
    assert.ok(state.tasks.size > 20);
    assert.ok(entry.tasks.length >= 1 && entry.tasks.length <= 10, `${entry.tasks.length} of ${state.tasks.size} tasks`);
    const again = JSON.parse((state.saveChangesJson(state.mark()) as string[]).join('')) as SavedChanges;
    assert.deepEqual([again.tasks.length, again.removed.length, again.orphans], [0, 0, undefined], 'nothing changed since the mark');
  });

  function writer(file: string, limits: Partial<StateLimits> = {}, logger: Logger = silentLogger) {
    const parts = kernelParts(limits);
    return { ...parts, cp: new Checkpointer({ file, state: parts.state, ingestor: parts.ingestor, receiver: null, timer: noTimer, logger }) };
  }
  function restored(file: string, limits: Partial<StateLimits> = {}, logger: Logger = silentLogger) {
    const parts = kernelParts(limits);
    const outcome = new Checkpointer({ file, state: parts.state, ingestor: parts.ingestor, receiver: null, timer: noTimer, logger }).restore();
    return { ...parts, outcome };
  }

  for (const limits of [{}, { maxTasksInMemory: 12, maxWorkersInMemory: 2 }] as Partial<StateLimits>[]) {
    test(`${JSON.stringify(limits)}: checkpoints append to the journal; a restart after any of them restores that State`, async () => {
      const stream = shuffled(lines('spawn-5.2.6.jsonl'), 3);
      const file = join(mkdtempSync(join(tmpdir(), 'evcam-cpj-')), 'cp.json');
      const w = writer(file, limits);
      const step = Math.max(1, Math.floor(stream.length / 40));
      for (let at = 0; at < stream.length; at += step) {
        feed(w.ingestor, stream.slice(at, at + step));
        await w.cp.write();
        const r = restored(file, limits);
        assert.equal(r.outcome, 'restored');
        assert.equal(snapshotOf(r.state), snapshotOf(w.state), `after ${at + step} messages`);
      }
      const m = w.cp.metrics;
      assert.ok(m.fullWrites >= 2 && m.fullWrites < m.writes / 3, `${m.fullWrites} full of ${m.writes} writes: most are journal entries, the journal is compacted`);
      assert.equal(m.lastBytes, readFileSync(file, 'utf8').length + readFileSync(journalFile(file), 'utf8').length, 'lastBytes is the checkpoint on disk');
    });
  }

  /**
   * A checkpoint after each of the spawn fixture's message ranges `ends` (the first one whole,
   * the rest journal entries); returns the file and the snapshot as of checkpoint `at`.
   */
  async function checkpointed(ends: number[], at: number): Promise<{ file: string; expected: string }> {
    const stream = lines('spawn-5.2.6.jsonl');
    const file = join(mkdtempSync(join(tmpdir(), 'evcam-cpj-')), 'cp.json');
    const w = writer(file);
    let expected = '';
    for (let i = 0; i < ends.length; i++) {
      feed(w.ingestor, stream.slice(i === 0 ? 0 : ends[i - 1], ends[i]));
      await w.cp.write();
      if (i === at) expected = snapshotOf(w.state);
    }
    return { file, expected };
  }

  test('a torn last journal line is ignored (logged): the State of the entry before it', async () => {
    const { file, expected } = await checkpointed([20, 40, 60], 1);
    const journal = readFileSync(journalFile(file), 'utf8');
    const lastLine = journal.slice(journal.lastIndexOf('\n', journal.length - 2) + 1);
    writeFileSync(journalFile(file), journal.slice(0, journal.length - lastLine.length) + lastLine.slice(0, Math.floor(lastLine.length / 2)));
    const logger = capturingLogger();
    const r = restored(file, {}, logger);
    assert.equal(r.outcome, 'restored');
    assert.equal(snapshotOf(r.state), expected);
    assert.match(logger.lines.find((l) => l.level === 'warn')?.msg ?? '', /ignored the last line of the checkpoint journal/);
  });

  test('a damaged line mid-journal: restored up to it, an error says entries were dropped', async () => {
    const { file, expected } = await checkpointed([40, 44, 48, 52], 1);
    const journal = readFileSync(journalFile(file), 'utf8').split('\n');
    assert.ok(journal.length >= 3, 'three entries in one journal');
    journal[1] = journal[1].replace('"tasks":[', '"tasks":[7,');
    writeFileSync(journalFile(file), journal.join('\n'));
    const logger = capturingLogger();
    const r = restored(file, {}, logger);
    assert.equal(snapshotOf(r.state), expected);
    const error = logger.lines.find((l) => l.level === 'error');
    assert.match(error?.msg ?? '', /checkpoint journal is damaged/);
    assert.deepEqual([(error?.obj as { line: number }).line, (error?.obj as { linesDropped: number }).linesDropped], [2, 2]);
  });

  test('a journal left by an older full checkpoint (crash before it was emptied) is ignored', async () => {
    const stream = lines('spawn-5.2.6.jsonl');
    const dir = mkdtempSync(join(tmpdir(), 'evcam-cpj-'));
    const file = join(dir, 'cp.json');
    const w = writer(file);
    feed(w.ingestor, stream.slice(0, 20));
    await w.cp.write();
    feed(w.ingestor, stream.slice(20, 40));
    await w.cp.write();
    copyFileSync(journalFile(file), join(dir, 'old-journal'));
    feed(w.ingestor, stream.slice(40));
    await w.cp.close();
    const restarted = writer(file);
    assert.equal(restarted.cp.restore(), 'restored');
    await restarted.cp.write(); // the first write after a restart is whole: a new journal id
    const expected = snapshotOf(restarted.state);
    copyFileSync(join(dir, 'old-journal'), journalFile(file));
    appendFileSync(journalFile(file), '');
    const r = restored(file);
    assert.equal(r.outcome, 'restored');
    assert.equal(snapshotOf(r.state), expected);
  });
});
