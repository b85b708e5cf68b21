import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** Where checkpoints go when no file is named: the XDG state directory (created on first write). */
export function stateDirectory(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env.XDG_STATE_HOME;
  // The XDG spec: a relative XDG_STATE_HOME is invalid and must be ignored.
  const base = xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : join(home, '.local', 'state');
  return join(base, 'evcam');
}

/** A queue name as one safe file name: anything but [A-Za-z0-9._-] becomes %XX, so distinct queues never share a file. */
export function queueFileName(queue: string): string {
  const safe = queue.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.codePointAt(0)!.toString(16).toUpperCase().padStart(2, '0')}`);
  return `${safe.startsWith('.') ? `%2E${safe.slice(1)}` : safe}.checkpoint.json`;
}

export type CheckpointChoice =
  | { kind: 'file'; file: string; source: 'config' | 'default' }
  | { kind: 'off'; reason: 'disabled' | 'transient-queue' };

/**
 * Whether and where the State is checkpointed. No-loss mode (a named queue)
 * checkpoints by default, to a per-queue file in the state directory; a named
 * file wins; `enabled: false` (--no-checkpoint) turns it off. Without a named
 * queue (Celery's transient queue) nothing changes: off unless a file is named.
 */
export function chooseCheckpoint(
  input: { queue: string | undefined; file: string | undefined; enabled: boolean },
  env: NodeJS.ProcessEnv = process.env, home: string = homedir(),
): CheckpointChoice {
  if (!input.enabled) return { kind: 'off', reason: 'disabled' };
  if (input.file !== undefined) return { kind: 'file', file: input.file, source: 'config' };
  if (input.queue === undefined) return { kind: 'off', reason: 'transient-queue' };
  return { kind: 'file', file: join(stateDirectory(env, home), queueFileName(input.queue)), source: 'default' };
}
