import { randomUUID } from 'node:crypto';
import type { Logger } from '@evcam/camera-api';
import { Redis, type RedisOptions } from 'ioredis';
import type { Acquired, LeaseBackend } from './lease.js';

// Atomic, so an epoch can never belong to a node that does not hold the lease:
// SET NX PX takes the lease, INCR the group's counter gives the epoch.
// ARGV[4] is the highest epoch this node has seen: a Redis that lost the counter (restarted
// without persistence) never hands out an epoch that fencing cameras would refuse.
const ACQUIRE = `
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local previous = redis.call('get', KEYS[3])
  redis.call('set', KEYS[3], ARGV[3])
  local epoch = redis.call('incr', KEYS[2])
  local floor = tonumber(ARGV[4])
  if epoch <= floor then
    epoch = floor + 1
    redis.call('set', KEYS[2], epoch)
  end
  return {epoch, previous or false}
end
return false`;
// Compare-and-pexpire / compare-and-delete: only the holder's own token counts.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/**
 * Leadership on Redis: `SET {evcam.<group>}.leader <token> NX PX <lease>`, renewed
 * by compare-and-pexpire; the epoch is `INCR {evcam.<group>}.epoch`. Redis expires
 * the key `lease` after the last renewal reached it, which is never before our own
 * deadline (counted from before we sent it). Keys share a hash tag (Redis Cluster).
 */
export class RedisLease implements LeaseBackend {
  readonly kind = 'redis';
  readonly validFor: number;
  private readonly client: Redis;
  private readonly keys: [string, string, string];
  /** Unique per process: a restarted node never mistakes its dead predecessor's lease for its own. */
  private readonly token: string;

  constructor(options: RedisOptions, private readonly group: string, private readonly node: string, leaseSecs: number, logger: Logger) {
    this.validFor = leaseSecs;
    this.token = `${node}#${randomUUID().slice(0, 8)}`;
    const tag = `{evcam.${group}}`;
    this.keys = [`${tag}.leader`, `${tag}.epoch`, `${tag}.last-leader`];
    this.client = new Redis({
      ...options,
      connectionName: `evcam-ha-${node}`.replace(/[^A-Za-z0-9._:-]/g, '-'),
      lazyConnect: false,
      // Fail fast: a command that waits long for a reconnect is a renewal that comes too late.
      maxRetriesPerRequest: 1,
      commandTimeout: Math.max(200, Math.floor(leaseSecs * 1000 / 4)),
      retryStrategy: (attempt: number) => Math.min(2000, 100 * attempt),
    });
    this.client.on('error', (err: Error) => logger.debug({ err }, 'HA lease connection error (Redis)'));
  }

  private get px(): string {
    return String(Math.round(this.validFor * 1000));
  }

  /** The highest epoch seen: its own, and the leaders' while standing by. */
  private highestEpoch = 0;

  async acquire(): Promise<Acquired | null> {
    const reply = await this.client.eval(ACQUIRE, 3, ...this.keys, this.token, this.px, this.node, String(this.highestEpoch)) as [number, string | null] | null;
    if (reply === null) return null;
    this.highestEpoch = Math.max(this.highestEpoch, Number(reply[0]));
    return { epoch: Number(reply[0]), previous: reply[1] ?? null };
  }

  async renew(): Promise<boolean> {
    return Number(await this.client.eval(RENEW, 1, this.keys[0], this.token, this.px)) === 1;
  }

  async release(): Promise<void> {
    await this.client.eval(RELEASE, 1, this.keys[0], this.token);
  }

  async leader(): Promise<string | null> {
    const [token, epoch] = await this.client.mget(this.keys[0], this.keys[1]);
    if (epoch !== null && Number(epoch) > this.highestEpoch) this.highestEpoch = Number(epoch);
    return token === null ? null : token.slice(0, token.lastIndexOf('#'));
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }

  /** For tests: the keys to delete afterwards. */
  get redisKeys(): readonly string[] {
    return this.keys;
  }

  /** For logs. */
  describe(): string {
    return `redis ${this.keys[0]} (group ${this.group})`;
  }
}
