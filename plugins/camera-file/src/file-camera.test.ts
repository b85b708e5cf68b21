import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { EvcamError, silentLogger, type CameraHost, type Snapshot } from '@evcam/camera-api';
import { FileCamera } from './file-camera.js';
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

  test('options are validated by the schema', () => {
    assert.equal(fileCameraOptions.safeParse({ keep: -1 }).success, false);
    assert.equal(fileCameraOptions.safeParse({ directory: './x' }).success, false);
    assert.deepEqual(fileCameraOptions.parse({}), { dir: './snapshots', gzip: false, pretty: false, keep: 1000, history: true });
  });
});
