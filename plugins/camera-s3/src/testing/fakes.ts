import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Snapshot, TaskSnapshot } from '@evcam/camera-api';
import { FakeHost, fixtureSnapshot, parseOptionsWith, RecordingLogger, sampleTask as task, sampleWorker as worker } from '@evcam/camera-testkit';
import { S3Camera } from '../camera.js';
import { optionsSchema, type S3CameraOptions } from '../options.js';

/** Options through the same Standard Schema door the kernel uses. */
export function parseOptions(input: Record<string, unknown>): S3CameraOptions {
  return parseOptionsWith(optionsSchema, input);
}

export { RecordingLogger };

/** The kit's CameraHost over a hand-fed State. */
export { FakeHost };

/** Snapshot builders, shared with every camera's tests through the kit. */
export { task, worker };

/** The repo root, from dist/testing/. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** A full State (the kit's fixture folded by the kernel) as snapshot `seq`. */
export { fixtureSnapshot };

/** A snapshot of `n` synthetic tasks on two workers. */
export function manySnapshot(n: number, seq = 1, takenAt = 1_795_514_300 + seq): Snapshot {
  const tasks: Record<string, TaskSnapshot> = {};
  for (let i = 0; i < n; i++) {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    tasks[id] = task(id, { args: `(${i}, ${i})`, result: String(2 * i), clock: i });
  }
  const workers = { 'w1@lab': worker('w1@lab'), 'w2@lab': worker('w2@lab') };
  return { schema: 'evcam.snapshot/1', seq, taken_at: takenAt, event_count: 3 * n, task_count: n, tasks, workers,
    changed: { tasks: Object.keys(tasks), workers: Object.keys(workers) } };
}

/** `base` with some tasks changed (their state and clock bumped) and `changed` listing exactly those. */
export function evolve(base: Snapshot, seq: number, changedTaskIds: string[], extra: TaskSnapshot[] = []): Snapshot {
  const tasks = { ...base.tasks };
  for (const id of changedTaskIds) tasks[id] = { ...tasks[id], state: 'STARTED', clock: tasks[id].clock + 1000 + seq };
  for (const t of extra) tasks[t.uuid] = t;
  return { ...base, seq, taken_at: base.taken_at + (seq - base.seq), event_count: base.event_count + changedTaskIds.length,
    tasks, changed: { tasks: [...changedTaskIds, ...extra.map((t) => t.uuid)], workers: [] } };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'evcam-s3-test-'));
}

/** An installed-ready S3Camera over `server` with the test's options. */
export function makeCamera(input: Record<string, unknown>, opts: { host?: FakeHost; logger?: RecordingLogger } = {}) {
  const logger = opts.logger ?? new RecordingLogger();
  const host = opts.host ?? new FakeHost();
  const camera = new S3Camera({ name: 's3', options: parseOptions(input), logger, host });
  return { camera, logger, host };
}

export const shutter = (camera: S3Camera, snapshot: Snapshot) =>
  camera.onShutter(snapshot, { signal: new AbortController().signal, attempt: 1 });
