import { cameraEntries } from '../cameras/loader.js';
import type { ResolvedConfig } from '../config/schema.js';
import { parseRate } from '../engine/rate.js';

/**
 * How long (seconds) the State keeps the ids that left it, so every configured camera
 * gets an exact `removed`: twice the longest a camera can go between two snapshots
 * (its freq or maxrate interval, plus a shutter that runs into shutterTimeout, plus
 * the longest backoff), and a minute on top. Shorter than the State's default, so a
 * cluster with heavy LRU churn does not hold hours of evicted ids.
 */
export function removedRetentionFor(config: ResolvedConfig): number {
  let longest = 0;
  for (const entry of cameraEntries(config)) {
    const freq = entry.freq ?? config.freq;
    const rate = parseRate(entry.maxrate === undefined ? config.maxrate : entry.maxrate);
    const interval = Math.max(freq, rate > 0 ? 1 / rate : 0);
    longest = Math.max(longest, interval + (entry.shutterTimeout ?? config.shutterTimeout) + config.maxBackoff);
  }
  return 2 * longest + 60;
}
