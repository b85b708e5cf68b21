// Child processes of the benchmark: the kernel under test (with the probe
// preloaded and an info log to a file), the publisher, the bare consumer.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const KERNEL_BIN = join(ROOT, 'packages/kernel/bin/evcam-kernel.js');
export const PROBE = pathToFileURL(join(ROOT, 'bench/lib/probe.mjs')).href;

/**
 * The node flags and environment the bin's shebang gives the kernel
 * (`#!/usr/bin/env -S NAME=value node --flag ...`), for benchmarks that run
 * kernel components in a script of their own.
 */
export function kernelRuntime() {
  const words = readFileSync(KERNEL_BIN, 'utf8').split('\n')[0].replace(/^#!\S*env\s+(-S\s+)?/, '').split(/\s+/);
  const at = words.indexOf('node');
  return {
    env: Object.fromEntries(words.slice(0, Math.max(at, 0)).map((w) => w.split('='))),
    nodeArgs: words.slice(at + 1).filter((w) => w.startsWith('--')),
  };
}

/** Run a node script to completion; resolves with its parsed last stdout line. */
export function runNode(script, args, { timeoutMs = 300_000, nodeArgs = [], env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, join(ROOT, script), ...args], {
      cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${script} exited ${code}: ${err.slice(-2000)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        reject(new Error(`${script} printed no result: ${out.slice(-500)} ${err.slice(-1000)}`));
      }
    });
  });
}

/**
 * Start the kernel as the CLI runs it. `ready` resolves once it logged
 * 'consuming Celery events'; `result` resolves after exit with the ingest
 * timing from its own log (consuming → stopping), its peak RSS and loop delay.
 */
export function startKernel(args, { workDir, timeoutMs = 300_000 }) {
  const log = join(workDir, `kernel-${process.hrtime.bigint()}.log`);
  const probe = `${log}.probe.json`;
  // Started as `npx evcam-kernel` starts it: the bin itself, with the node flags of its shebang.
  const nodeOptions = [process.env.NODE_OPTIONS, `--import=${PROBE}`].filter(Boolean).join(' ');
  const child = spawn(KERNEL_BIN, ['run', ...args, '-l', 'info', '-f', log], {
    cwd: ROOT, env: { ...process.env, EVCAM_BENCH_PROBE: probe, NODE_OPTIONS: nodeOptions }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise((resolve) => child.on('exit', (code) => { clearTimeout(timer); resolve(code); }));
  const lines = () => {
    try {
      return readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    } catch {
      return [];
    }
  };
  const ready = (async () => {
    for (;;) {
      if (lines().some((l) => l.msg === 'consuming Celery events')) return;
      if (child.exitCode !== null) throw new Error(`kernel exited (${child.exitCode}) before consuming: ${err.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  // Someone else's test may restart the shared broker; transient messages die with it and the
  // limit would never be reached. Notice it, stop, and let the caller retry the run.
  let brokerLost = false;
  const watch = setInterval(() => {
    if (lines().some((l) => l.msg?.startsWith('lost the broker connection'))) {
      brokerLost = true;
      child.kill('SIGKILL');
    }
  }, 500);
  const result = exited.then((code) => {
    clearInterval(watch);
    if (brokerLost) throw new Error('the broker went away during the run (restarted by someone else?)');
    const all = lines();
    const consuming = all.find((l) => l.msg === 'consuming Celery events');
    const stopping = all.find((l) => l.msg === 'stopping');
    if (code !== 0 || !consuming || !stopping) throw new Error(`kernel run failed (exit ${code}): ${err.slice(-2000)}`);
    const probed = JSON.parse(readFileSync(probe, 'utf8'));
    const secs = (stopping.time - consuming.time) / 1000;
    const errors = all.filter((l) => l.level >= 50).map((l) => l.msg);
    rmSync(log, { force: true });
    rmSync(probe, { force: true });
    return { folded: stopping.folded, secs, eventsPerSec: stopping.folded / secs, cpuUsPerEvent: (probed.cpuSecs * 1e6) / stopping.folded, maxRssKb: probed.maxRssKb, loopDelayMs: probed.loopDelayMs, errors };
  });
  ready.catch(() => {});
  return { child, ready, result, peakRssKb: () => peakRssKb(child.pid) };
}

/** The peak RSS so far of a live process (VmHWM), in KiB. */
export function peakRssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)[1]);
}
