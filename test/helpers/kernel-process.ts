import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KERNEL_BIN, ROOT } from './paths.js';

export interface KernelRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Wait until stderr/stdout contains text (e.g. 'consuming Celery events'). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * One state directory per test process: no-loss kernels checkpoint there by default, never into the
 * real home, and restarts within one test file find their checkpoint (a test may pass its own).
 */
const STATE_HOME = mkdtempSync(join(tmpdir(), 'evcam-test-state-'));

/** Start `evcam-kernel ARGS` as a child process (the real CLI, from the bin shim). */
export function startKernel(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): KernelRun {
  const child = spawn(process.execPath, [KERNEL_BIN, ...args], {
    cwd: options.cwd ?? ROOT, env: { ...process.env, XDG_STATE_HOME: STATE_HOME, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(text, timeoutMs = 20_000) {
      const started = Date.now();
      const seen = () => (typeof text === 'string' ? (out + err).includes(text) : text.test(out + err));
      while (!seen()) {
        if (child.exitCode !== null) throw new Error(`kernel exited (${child.exitCode}) before "${text}":\n${err}\n${out}`);
        if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for "${text}":\n${err.slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Run `evcam-kernel ARGS` to completion. */
export async function runKernel(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}):
  Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startKernel(args, options);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const code = await run.exited;
  clearTimeout(timer);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}
