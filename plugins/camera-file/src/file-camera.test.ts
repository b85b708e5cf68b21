import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { EvcamError, silentLogger, type CameraHost, type Snapshot } from '@evcam/camera-api';
import { FileCamera, historyName } from './file-camera.js';
import { fileCameraOptions } from './options.js';

function snapshot(seq: number, takenAt = 1795514300 + seq): Snapshot {
  return {
    schema: 'evcam.snapshot/1', seq, taken_at: takenAt, event_count: seq * 10, task_count: seq,
    workers: {}, tasks: {}, changed: { workers: [], tasks: [] },
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


describe('file camera', () => {
  test('writes each snapshot as-is: one history file per shutter plus latest.json; no temp files left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-file-'));
    const cam = camera({ dir });
    await cam.onInstall();
    for (let seq = 1; seq <= 3; seq++) await cam.onShutter(snapshot(seq));
    const files = readdirSync(dir).sort();
    assert.equal(files.length, 4);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')), snapshot(3));
    assert.ok(files.every((f) => !f.startsWith('.')), 'no temporary files remain');
    const history = files.filter((f) => f !== 'latest.json');
    assert.match(history[0], /^2026-11-24T\d\d-\d\d-\d\d\.\d{3}Z-000000000001\.json$/);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, history[2]), 'utf8')), snapshot(3));
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

  test('keep: only the newest history files stay (enforced at cleanup and while writing)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evcam-file-keep-'));
    const cam = camera({ dir, keep: 5 });
    await cam.onInstall();
    for (let seq = 1; seq <= 20; seq++) await cam.onShutter(snapshot(seq));
    await cam.onCleanup();
    writeFileSync(join(dir, 'notes.txt'), 'not ours');
    await cam.onCleanup();
    const history = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'latest.json').sort();
    assert.equal(history.length, 5);
    assert.match(history[0], /-000000000016\.json$/);
    assert.ok(readdirSync(dir).includes('notes.txt'), 'files that are not history are left alone');
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
    // A non-empty directory where the next history file must go: its rename fails.
    const blocked = join(dir, historyName(snapshot(2), false));
    mkdirSync(join(blocked, 'inside'), { recursive: true });
    await assert.rejects(cam.onShutter(snapshot(2)));
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
    assert.deepEqual(fileCameraOptions.parse({}), { dir: './snapshots', gzip: false, pretty: false, keep: 1000, history: true });
  });
});
