import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** Where checkpoints go when no file is named: the XDG state directory (created on first write). */
export function stateDirectory(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env.XDG_STATE_HOME;
  // The XDG spec: a relative XDG_STATE_HOME is invalid and must be ignored.
  const base = xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : join(home, '.local', 'state');
  return join(base, 'evcam');
}

const safe = (text: string): string =>
  text.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.codePointAt(0)!.toString(16).toUpperCase().padStart(2, '0')}`);

/**
 * One safe file name per queue on one broker: `<queue>[@<where>].checkpoint.json`, anything but
 * [A-Za-z0-9._-] as %XX, so distinct queues (or the same name on two brokers or vhosts) never share a file.
 */
export function queueFileName(queue: string, where?: string): string {
  const name = safe(queue) + (where ? `@${safe(where)}` : '');
  return `${name.startsWith('.') ? `%2E${name.slice(1)}` : name}.checkpoint.json`;
}

/** Where a broker URL's queues live: host, port and vhost (never the credentials). */
export function brokerPlace(broker: string): string | undefined {
  try {
    const u = new URL(broker);
    const vhost = decodeURIComponent(u.pathname.replace(/^\//, ''));
    return [u.hostname, u.port, vhost === '' || vhost === '/' ? '' : vhost].filter(Boolean).join('_') || undefined;
  } catch {
    return undefined;
  }
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
  input: { queue: string | undefined; file: string | undefined; enabled: boolean; broker?: string },
  env: NodeJS.ProcessEnv = process.env, home: string = homedir(),
): CheckpointChoice {
  if (!input.enabled) return { kind: 'off', reason: 'disabled' };
  if (input.file !== undefined) return { kind: 'file', file: input.file, source: 'config' };
  if (input.queue === undefined) return { kind: 'off', reason: 'transient-queue' };
  const where = input.broker === undefined ? undefined : brokerPlace(input.broker);
  return { kind: 'file', file: join(stateDirectory(env, home), queueFileName(input.queue, where)), source: 'default' };
}
