// The real kernel, in this process, replaying a shipped capture through --camera prometheus.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { silentLogger } from '@evcam/camera-api';
import { buildContainer, loadConfig, replayFile, ReplayClock, TOKENS, type Kernel } from 'evcam-kernel';
import type { PrometheusCamera } from '../camera.js';
import { FIXTURES } from './captures.js';

export interface ReplayedKernel {
  kernel: Kernel;
  camera: PrometheusCamera;
  url: string;
  scrape(): Promise<string>;
  stop(): Promise<void>;
}

/** The camera instance, whether the kernel lists cameras or the engines driving them. */
export function cameraOf(kernel: Kernel): PrometheusCamera {
  const first = kernel.cameras[0] as unknown as { camera?: PrometheusCamera };
  return first.camera ?? (first as PrometheusCamera);
}

/** Shutters taken so far by the first camera (its health, wherever the kernel keeps it). */
export function shuttersOf(kernel: Kernel): number {
  return (kernel.cameras[0] as unknown as { health: { shutters: number } }).health.shutters;
}

/** Replay a capture through the kernel (freq 10 ms: shutters run, and supersede each other, while it folds). */
export async function replayThroughKernel(capture: string, opts: { maxTasks?: number; maxWorkers?: number; options?: Record<string, unknown> } = {}): Promise<ReplayedKernel> {
  const cwd = mkdtempSync(join(tmpdir(), 'evcam-prom-'));
  const { config, configDir } = await loadConfig({
    cwd,
    env: {},
    overrides: { freq: 0.01, maxTasksInMemory: opts.maxTasks ?? 10_000, maxWorkersInMemory: opts.maxWorkers ?? 5000, log: { level: 'error' } },
    camera: { name: 'prometheus', options: { port: 0, ...opts.options } },
  });
  const clock = new ReplayClock();
  const container = await buildContainer({ config, configDir, logger: silentLogger, clock });
  const kernel = await container.getAsync<Kernel>(TOKENS.Kernel);
  await kernel.start({ receive: false });
  const camera = cameraOf(kernel);
  await replayFile(resolve(FIXTURES, capture), kernel.ingestor, clock, silentLogger);
  const url = `http://127.0.0.1:${camera.port}/metrics`;
  return {
    kernel, camera, url,
    scrape: async () => {
      const res = await fetch(url);
      if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
      return res.text();
    },
    stop: () => kernel.stop(),
  };
}
