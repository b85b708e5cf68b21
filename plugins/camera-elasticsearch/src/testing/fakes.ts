import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Snapshot, TaskSnapshot, WorkerSnapshot } from '@evcam/camera-api';
import { FakeHost, fixtureSnapshot, parseOptionsWith, RecordingLogger, sampleTask as task, sampleWorker as worker, ShutterEngine } from '@evcam/camera-testkit';
import { ElasticsearchCamera } from '../camera.js';
import type { ClientOptions } from '../client.js';
import { optionsSchema, type ElasticsearchCameraOptions } from '../options.js';

/** Options through the same Standard Schema door the kernel uses. */
export function parseOptions(input: Record<string, unknown>): ElasticsearchCameraOptions {
  return parseOptionsWith(optionsSchema, input);
}

export { RecordingLogger };

/** The kit's CameraHost over a hand-fed State. */
export { FakeHost };

/** Snapshot builders, shared with every camera's tests through the kit. */
export { task, worker };

/** A snapshot whose `changed` lists exactly the given tasks/workers (all of them by default). */
export function snapshotOf(tasks: TaskSnapshot[], workers: WorkerSnapshot[] = [], seq = 1,
  changed?: { tasks: string[]; workers: string[] }): Snapshot {
  return {
    schema: 'evcam.snapshot/1', seq, taken_at: 1795514300 + seq, event_count: tasks.length * 3, task_count: tasks.length,
    tasks: Object.fromEntries(tasks.map((t) => [t.uuid, t])), workers: Object.fromEntries(workers.map((w) => [w.hostname, w])),
    changed: changed ?? { tasks: tasks.map((t) => t.uuid), workers: workers.map((w) => w.hostname) },
  };
}

/** The repo root, from dist/testing/. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** A full State (the kit's fixture folded by the kernel) as a snapshot. */
export { fixtureSnapshot };

export interface Harness { camera: ElasticsearchCamera; host: FakeHost; logger: RecordingLogger; /** The kernel's engine driving the camera. */ engine: ShutterEngine }

/** A camera as the kernel would build it, on a FakeHost, logging into a RecordingLogger. */
export function makeCamera(input: Record<string, unknown>, clientOptions: Partial<ClientOptions> = {}, host = new FakeHost()): Harness {
  const logger = new RecordingLogger();
  const camera = new ElasticsearchCamera({ name: 'elasticsearch', options: parseOptions(input), logger, host }, clientOptions);
  const engine = new ShutterEngine(camera, host, { shutterTimeout: 5, finalShutterTimeout: 2 });
  return { camera, host, logger, engine };
}
