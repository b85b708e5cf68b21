import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { EvcamError, silentLogger, type CameraHost, type Snapshot, type TakenSnapshot } from '@evcam/camera-api';
import { Harness, waitUntil } from '@evcam/camera-testkit';
import { FileCamera, historyName } from './file-camera.js';
import { rebuildState } from './rebuild.js';
import { fileCameraOptions } from './options.js';

function snapshot(seq: number, takenAt = 1795514300 + seq): Snapshot {
  return {
    schema: 'evcam.snapshot/1', seq, taken_at: takenAt, event_count: seq * 10, task_count: seq,
    workers: {}, tasks: {}, changed: { workers: [], tasks: [] }, removed: { workers: [], tasks: [] },
  };
}

const host: CameraHost = {
  timer: { callRepeatedly: () => () => {}, callLater: () => () => {} },
  clock: { now: () => 0 },
  takeSnapshot: (_since, seq) => ({ snapshot: snapshot(seq), cut: seq }),
  hold: () => () => {},
};

function camera(options: Record<string, unknown>, configDir = tmpdir()): FileCamera {
  return new FileCamera({ name: 'file', options: fileCameraOptions.parse(options), logger: silentLogger, host, configDir });
}



const GOLDEN = new URL('../../../test/fixtures/rabbitmq-5.2.6.golden.json', import.meta.url);
const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/**
 * The shipped stream folded by the kernel's real State, a shutter stored every
 * `every` deliveries through the camera (since = the last stored cut), then the
 * final shutter through cancel(). Returns the full document of every stored seq.
 */
async function replayInto(options: Record<string, unknown>, every: number, maxTasksInMemory?: number, finalShutter = true): Promise<{ dir: string; docs: Map<number, Snapshot>; cam: FileCamera }> {
  const dir = mkdtempSync(join(tmpdir(), 'evcam-file-replay-'));
  const harness = new Harness(fileURLToPath(new URL('../../../test/fixtures/rabbitmq-5.2.6.jsonl', import.meta.url)), silentLogger);
  if (maxTasksInMemory !== undefined) (harness.state as unknown as { limits: { maxTasksInMemory: number } }).limits.maxTasksInMemory = maxTasksInMemory;
  let since = 0;
  let seq = 0;
  const docs = new Map<number, Snapshot>();
  const hostOf = (): CameraHost => ({ ...harness.host, takeSnapshot: (s, n) => harness.host.takeSnapshot(s, n) });
  const cam = new FileCamera({ name: 'file', options: fileCameraOptions.parse({ dir, ...options }), logger: silentLogger, host: hostOf(), configDir: tmpdir() });
  await cam.onInstall();
  const store = async (final = false): Promise<void> => {
    const taken: TakenSnapshot = harness.state.snapshot(since, ++seq, harness.deliveries[Math.max(0, harness.next - 1)].at);
    docs.set(seq, json(taken.snapshot));
    await cam.onShutter(taken.snapshot, { signal: new AbortController().signal, attempt: 1, final });
    since = taken.cut;
    taken.release?.();
  };
  while (harness.remaining > 0) {
    harness.foldSilently(harness.next + every);
    await store();
  }
  // The final shutter: taken by cancel(), always a keyframe.
  if (finalShutter) await store(true);
  await cam.onClose();
  return { dir, docs, cam };
}

const sameState = (a: Snapshot, b: Snapshot, what: string): void => {
  assert.deepEqual(a.tasks, b.tasks, `${what}: tasks`);
  assert.deepEqual(a.workers, b.workers, `${what}: workers`);
  for (const key of ['seq', 'taken_at', 'event_count', 'task_count'] as const) assert.equal(a[key], b[key], `${what}: ${key}`);
  assert.deepEqual([...a.changed.tasks].sort(), [...b.changed.tasks].sort(), `${what}: changed`);
  assert.deepEqual([...(a.removed?.tasks ?? [])].sort(), [...(b.removed?.tasks ?? [])].sort(), `${what}: removed`);
};

describe('file camera: keyframes and deltas', () => {
  test('rebuildState gives the State at every stored seq, and the golden at the end; latest.json is the whole final State', async () => {
    for (const [options, maxTasks] of [[{ keyframeFraction: 0.3 }, undefined], [{ gzip: true, keyframeEvery: 4 }, 50]] as const) {
      const { dir, docs } = await replayInto(options, 40, maxTasks);
      const files = readdirSync(dir);
      assert.ok(files.some((f) => /\.deltas\.jsonl(\.gz)?$/.test(f)), 'deltas were written');
      assert.ok(files.filter((f) => /-\d{12}\.json(\.gz)?$/.test(f)).length >= 2, 'more than one keyframe');
      assert.deepEqual(files.filter((f) => f.startsWith('.')), [], 'no temporary files remain');
      for (const [seq, doc] of docs) sameState(await rebuildState(dir, seq), doc, `seq ${seq} ${JSON.stringify(options)}`);
      const last = docs.get(docs.size) as Snapshot;
      sameState(await rebuildState(dir), last, 'newest');
      sameState(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as Snapshot, last, 'latest.json');
      if (maxTasks === undefined) {
        const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as { tasks: unknown; event_count: number };
        assert.deepEqual((await rebuildState(dir)).tasks, golden.tasks, 'the rebuilt State is Celery\'s');
      }
    }
  });

  test('a torn last delta line (a crash mid-write) is ignored: the rebuild stops at the last whole shutter', async () => {
    const { dir, docs } = await replayInto({ keyframeFraction: 100, keyframeEvery: 1000 }, 60, undefined, false);
    const deltas = readdirSync(dir).find((f) => f.endsWith('.deltas.jsonl')) as string;
    const lastDelta = docs.size;
    const whole = readFileSync(join(dir, deltas), 'utf8');
    appendFileSync(join(dir, deltas), `{"seq":${lastDelta + 1},"task":{"uuid":"torn","na`);
    sameState(await rebuildState(dir, lastDelta), docs.get(lastDelta) as Snapshot, 'before the torn line');
    sameState(await rebuildState(dir), docs.get(lastDelta) as Snapshot, 'newest: the torn shutter is not there');
    // Whole records of a shutter whose commit line never came are ignored too.
    writeFileSync(join(dir, deltas), `${whole}{"seq":${lastDelta + 1},"removed_task":"${Object.keys((docs.get(lastDelta) as Snapshot).tasks)[0]}"}\n{"seq":${lastDelta + 1},"sh`);
    sameState(await rebuildState(dir), docs.get(lastDelta) as Snapshot, 'an uncommitted shutter');
    await assert.rejects(rebuildState(dir, lastDelta + 1), (err: unknown) => EvcamError.is(err) && err.code === 'EVCAM_ERR_SNAPSHOT_FILES');
  });

  test('two writes never overlap: a shutter abandoned on timeout is waited for, its half-written deltas cut away', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-file-overlap-'));
    const cam = camera({ dir, keyframeFraction: 1e9 });
    await cam.onInstall();
    const base = snapshot(1);
    await cam.onShutter(base, { signal: new AbortController().signal, attempt: 1 });
    const big = (seq: number, state: string): Snapshot => {
      const s = snapshot(seq);
      for (let i = 0; i < 5000; i++) {
        const uuid = `t${i}`;
        s.tasks[uuid] = { uuid, name: 'tasks.add', state, args: `(${i})`, children: [] } as never;
        s.changed.tasks.push(uuid);
      }
      return s;
    };
    const abandoned = new AbortController();
    const first = cam.onShutter(big(2, 'STARTED'), { signal: abandoned.signal, attempt: 1 });
    const second = cam.onShutter(big(2, 'SUCCESS'), { signal: new AbortController().signal, attempt: 2 });
    const deltaFile = (): string | undefined => readdirSync(dir).find((f) => f.endsWith('.deltas.jsonl'));
    await waitUntil(() => { const f = deltaFile(); return f !== undefined && statSync(join(dir, f)).size > 0; }, 'the first write has begun', { timeoutMs: 10_000, intervalMs: 0 });
    abandoned.abort(); // the kernel gave up on the first write after a slice or two
    await assert.rejects(first);
    await second;
    const rebuilt = await rebuildState(dir, 2);
    assert.deepEqual(Object.values(rebuilt.tasks).map((t) => t.state), new Array(5000).fill('SUCCESS'));
    const text = readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('.deltas.jsonl')) as string), 'utf8');
    assert.equal(text.split('\n').filter(Boolean).length, 5001, 'only the second write\'s records (5000 tasks + its shutter line)');
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.')), [], 'no temporary files remain');
  });

  test('an aborted keyframe leaves no temporary file and the previous latest.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-file-abort-'));
    const cam = camera({ dir });
    await cam.onInstall();
    await cam.onShutter(snapshot(1));
    const big = snapshot(2);
    for (let i = 0; i < 20_000; i++) big.tasks[`t${i}`] = { uuid: `t${i}`, children: [] } as never;
    const abort = new AbortController();
    const write = cam.onShutter(big, { signal: abort.signal, attempt: 1, final: true }); // final: a keyframe
    setImmediate(() => abort.abort());
    await assert.rejects(write);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.')), []);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')), snapshot(1));
  });

  test('keep: only the newest keyframes stay, each with its deltas; history: false keeps only the current one', async () => {
    for (const [options, expected] of [[{ keep: 2, keyframeEvery: 3, keyframeFraction: 1e9 }, 2], [{ history: false, keyframeEvery: 3, keyframeFraction: 1e9 }, 1]] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'evcam-file-keep-'));
      const cam = camera({ dir, ...options });
      await cam.onInstall();
      for (let seq = 1; seq <= 20; seq++) await cam.onShutter(snapshot(seq));
      await cam.onCleanup();
      writeFileSync(join(dir, 'notes.txt'), 'not ours');
      await cam.onCleanup();
      const keyframes = readdirSync(dir).filter((f) => /-\d{12}\.json$/.test(f)).sort();
      assert.equal(keyframes.length, expected, JSON.stringify(options));
      assert.match(keyframes[keyframes.length - 1], /-000000000017\.json$/);
      assert.ok(readdirSync(dir).includes('notes.txt'), 'files that are not ours are left alone');
      assert.equal((await rebuildState(dir, 20)).seq, 20);
    }
  });
});

describe('file camera', () => {
  test('the first shutter is a keyframe (latest.json + history file), the next ones deltas; no temp files left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-file-'));
    const cam = camera({ dir, keyframeFraction: 1e9 });
    await cam.onInstall();
    for (let seq = 1; seq <= 3; seq++) await cam.onShutter(snapshot(seq));
    const files = readdirSync(dir).sort();
    assert.deepEqual(files.filter((f) => f.startsWith('.')), [], 'no temporary files remain');
    const keyframe = files.find((f) => f.endsWith('.json') && f !== 'latest.json') as string;
    assert.match(keyframe, /^2026-11-24T\d\d-\d\d-\d\d\.\d{3}Z-000000000001\.json$/);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')), snapshot(1));
    assert.ok(files.includes(keyframe.replace(/\.json$/, '.deltas.jsonl')));
    assert.deepEqual(await rebuildState(dir), snapshot(3));
  });

  test('relative dir resolves against the config directory; gzip and pretty', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'evcam-file-cfg-'));
    const cam = camera({ dir: './snaps', gzip: true, pretty: true }, configDir);
    await cam.onInstall();
    await cam.onShutter(snapshot(1));
    const dir = join(configDir, 'snaps');
    const gz = readdirSync(dir).find((f) => f.endsWith('.json.gz'))!;
    assert.deepEqual(JSON.parse(gunzipSync(readFileSync(join(dir, gz))).toString()), snapshot(1));
    assert.ok(readFileSync(join(dir, 'latest.json'), 'utf8').includes('\n '), 'pretty latest.json');
  });
  test('a dir that is a file, or not writable, fails at start with a clear coded error', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'evcam-file-bad-'));
    const file = join(parent, 'plain-file');
    writeFileSync(file, 'x');
    await assert.rejects(camera({ dir: file }).onInstall(), (err: unknown) =>
      EvcamError.is(err) && err.code === 'EVCAM_ERR_CAMERA_START' && err.message.includes(file) && !err.retryable);
    if (process.getuid?.() !== 0) {
      const locked = join(parent, 'locked');
      writeFileSync(join(parent, 'placeholder'), '');
      chmodSync(parent, 0o500);
      await assert.rejects(camera({ dir: locked }).onInstall(), (err: unknown) => EvcamError.is(err) && err.code === 'EVCAM_ERR_CAMERA_START');
      chmodSync(parent, 0o700);
    }
  });

  test('a shutter that cannot be stored fails, removes its temporary files and keeps the previous latest.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-file-fail-'));
    const cam = camera({ dir });
    await cam.onInstall();
    await cam.onShutter(snapshot(1));
    // A non-empty directory where the next keyframe must go: its rename fails.
    const blocked = join(dir, historyName(snapshot(2), false));
    mkdirSync(join(blocked, 'inside'), { recursive: true });
    await assert.rejects(cam.onShutter(snapshot(2), { signal: new AbortController().signal, attempt: 1, final: true }));
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.')), [], 'no temporary files remain');
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')), snapshot(1));
  });

  test('a 10k-task snapshot is stored byte for byte as JSON.stringify writes it, plain and gzipped', async () => {
    const big = snapshot(9);
    for (let i = 0; i < 10_000; i++) {
      const uuid = `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`;
      big.tasks[uuid] = { uuid, name: 'tasks.add', state: 'SUCCESS', args: `(${i}, "\u00e9")`, children: [] } as never;
    }
    for (const gzip of [false, true]) {
      const dir = mkdtempSync(join(tmpdir(), 'evcam-file-big-'));
      const cam = camera({ dir, gzip });
      await cam.onInstall();
      await cam.onShutter(big);
      assert.equal(readFileSync(join(dir, 'latest.json'), 'utf8'), JSON.stringify(big));
      const stored = readFileSync(join(dir, historyName(big, gzip)));
      assert.equal((gzip ? gunzipSync(stored) : stored).toString('utf8'), JSON.stringify(big));
    }
  });

  test('options are validated by the schema', () => {
    assert.equal(fileCameraOptions.safeParse({ keep: -1 }).success, false);
    assert.equal(fileCameraOptions.safeParse({ directory: './x' }).success, false);
    assert.deepEqual(fileCameraOptions.parse({}), { dir: './snapshots', gzip: false, pretty: false, keep: 1000, history: true, keyframeFraction: 0.5, keyframeEvery: 600 });
  });
});
