// Shared bits of the reliability, fuzz, health and secrets tests.
import { dirname } from 'node:path';
import { storedState } from './stored.js';
import { waitUntil } from '@evcam/camera-testkit';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Golden } from './golden.js';
import type { KernelRun } from './kernel-process.js';
import { fixture } from './paths.js';
import type { CapturedMessage } from './rabbit.js';

export const MISBEHAVING_CAMERA = fileURLToPath(new URL('./cameras/misbehaving.js', import.meta.url));

export const captured = (name = 'rabbitmq-5.2.6.jsonl'): CapturedMessage[] =>
  readFileSync(fixture(name), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as CapturedMessage);

/** The State the file camera stored (keyframe + deltas), or null before its first shutter. */
export function readLatest(path: string): Promise<(Golden & { seq: number; changed: unknown }) | null> {
  // `path` names the file camera's latest.json; the State is its directory's keyframe plus deltas.
  return storedState(dirname(path));
}

/** Live, heartbeats are our receive times and liveness is judged now: compare everything else. */
export function withoutLiveFields<T extends Golden>(doc: T): T {
  for (const w of Object.values(doc.workers)) { delete w.alive; delete w.heartbeats; }
  return doc;
}

/** A port nobody listens on right now (for --http-port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const healthz = async (port: number): Promise<Record<string, any>> =>
  (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as Record<string, any>;

/** Wait until the kernel answers /healthz on `port` and is consuming from the broker. */
export async function waitForHttp(run: KernelRun, port: number): Promise<void> {
  await waitUntil(async () => {
    if (run.child.exitCode !== null) throw new Error(`kernel exited (${run.child.exitCode}):\n${run.stderr().slice(-3000)}`);
    return healthz(port).then((h) => h.receiver?.connected === true, () => false);
  }, `http on port ${port}`, { timeoutMs: 20_000 });
}

export type Samples = Map<string, number>;

/** Scrape /metrics into "name{labels}" → value. */
export async function scrape(port: number): Promise<Samples> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}
