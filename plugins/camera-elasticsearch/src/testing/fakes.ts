import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CameraHost, Logger, Snapshot, TakenSnapshot, TaskSnapshot, WorkerSnapshot } from '@evcam/camera-api';
import { fixtureSnapshot, parseOptionsWith, RecordingLogger, sampleTask as task, sampleWorker as worker } from '@evcam/camera-testkit';
import { ElasticsearchCamera } from '../camera.js';
import type { ClientOptions } from '../client.js';
import { optionsSchema, type ElasticsearchCameraOptions } from '../options.js';

/** Options through the same Standard Schema door the kernel uses. */
export function parseOptions(input: Record<string, unknown>): ElasticsearchCameraOptions {
  return parseOptionsWith(optionsSchema, input);
}

export { RecordingLogger };

/**
 * A CameraHost over a hand-fed State, with the kernel's `changed` semantics:
 * ids touched after the cut of the last snapshot the camera stored.
 */
export class FakeHost implements CameraHost {
  now = 1_795_514_300;
  readonly clock = { now: () => this.now };
  /** Real time, sped up: the Polaroid's backoff seconds pass as centiseconds. Repeats are driven by the test. */
  readonly timer = {
    callRepeatedly: () => () => {},
    callLater: (secs: number, fn: () => void) => { const t = setTimeout(fn, secs * 10); return () => clearTimeout(t); },
  };
  readonly tasks: Record<string, TaskSnapshot> = {};
  readonly workers: Record<string, WorkerSnapshot> = {};
  private cut = 0;
  private readonly touched = new Map<string, number>();

  setTask(task: TaskSnapshot): void { this.tasks[task.uuid] = task; this.touched.set(`t:${task.uuid}`, ++this.cut); }
  setWorker(worker: WorkerSnapshot): void { this.workers[worker.hostname] = worker; this.touched.set(`w:${worker.hostname}`, ++this.cut); }

  takeSnapshot(since: number, seq: number): TakenSnapshot {
    const changed = { tasks: [] as string[], workers: [] as string[] };
    for (const [key, at] of this.touched) {
      if (at > since) (key.startsWith('t:') ? changed.tasks : changed.workers).push(key.slice(2));
    }
    const snapshot: Snapshot = {
      schema: 'evcam.snapshot/1', seq, taken_at: this.now, event_count: this.cut, task_count: Object.keys(this.tasks).length,
      tasks: structuredClone(this.tasks), workers: structuredClone(this.workers), changed,
    };
    return { snapshot, cut: this.cut };
  }

  hold(): (clear: boolean) => void { return () => {}; }
}

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

export interface Harness { camera: ElasticsearchCamera; host: FakeHost; logger: RecordingLogger }

/** A camera as the kernel would build it, on a FakeHost, logging into a RecordingLogger. */
export function makeCamera(input: Record<string, unknown>, clientOptions: Partial<ClientOptions> = {}, host = new FakeHost()): Harness {
  const logger = new RecordingLogger();
  const camera = new ElasticsearchCamera({ name: 'elasticsearch', options: parseOptions(input), logger, host,
    settings: { shutterTimeout: 5, finalShutterTimeout: 2 } }, clientOptions);
  return { camera, host, logger };
}
