import { execFileSync } from 'node:child_process';
import { waitUntil } from '@evcam/camera-testkit';

/** The local Redis, started exactly as CI (and the machine) start it. */
const REDIS_START = ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no',
  '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log'];

export const redisUp = (): boolean => {
  try {
    return execFileSync('redis-cli', ['-h', '127.0.0.1', 'ping'], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] }).trim() === 'PONG';
  } catch {
    return false;
  }
};

/** Start Redis if a test stopped it; every test that stops Redis calls this in `finally`. */
export async function ensureRedis(): Promise<void> {
  if (redisUp()) return;
  execFileSync('redis-server', REDIS_START, { stdio: 'ignore' });
  await waitUntil(redisUp, 'redis-server to answer PING', { timeoutMs: 20_000 });
}
