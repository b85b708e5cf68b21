import type { CameraHost, Snapshot, TakenSnapshot, TaskSnapshot, WorkerSnapshot } from '@evcam/camera-api';

/**
 * A CameraHost for a camera's own unit tests: a State the test sets by hand
 * (setTask/setWorker) with the kernel's `changed` semantics (ids touched after
 * the cut of the last snapshot taken), a settable clock (`now`), and a real
 * timer sped up by `timeScale` (0.01: a backoff of 2 s fires after 20 ms).
 * Repeating timers are the test's to drive.
 */
export class FakeHost implements CameraHost {
  now = 1_795_514_300;
  readonly clock = { now: () => this.now };
  readonly timer = {
    callRepeatedly: () => () => {},
    callLater: (secs: number, fn: () => void) => {
      const t = setTimeout(fn, secs * 1000 * this.timeScale);
      return () => clearTimeout(t);
    },
  };
  readonly tasks: Record<string, TaskSnapshot> = {};
  readonly workers: Record<string, WorkerSnapshot> = {};
  private cut = 0;
  private readonly touched = new Map<string, number>();

  constructor(private readonly timeScale = 0.01) {}

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
