import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One shipped golden and how `evcam-kernel replay` must run to reproduce it. */
export interface GoldenReplay {
  /** A readable name: golden ← capture, limits, TZ. */
  name: string;
  capture: string;
  golden: string;
  /** Replay flags: the LRU limits the golden was computed with. */
  args: string[];
  /** Environment: the TZ the capture was recorded in. */
  env: { TZ: string };
  /** True when the LRU limits evicted tasks or workers (the golden holds fewer than were seen). */
  limited: boolean;
}

interface ManifestEntry { capture: string; golden: string; maxTasks?: number; maxWorkers?: number; tz?: string }

/** Every golden listed in `<fixturesDir>/manifest.json` (the repo's test/fixtures), with its replay flags. */
export function goldenReplays(fixturesDir: string): GoldenReplay[] {
  const manifest = join(fixturesDir, 'manifest.json');
  if (!existsSync(manifest)) return [];
  return (JSON.parse(readFileSync(manifest, 'utf8')) as ManifestEntry[]).map((e) => {
    const args = ['--max-tasks-in-memory', String(e.maxTasks ?? 10000), '--max-workers-in-memory', String(e.maxWorkers ?? 5000)];
    const limited = (e.maxTasks ?? 10000) < 10000 || (e.maxWorkers ?? 5000) < 5000;
    return {
      name: `${e.golden} ← ${e.capture}${limited ? ` (max ${e.maxTasks} tasks, ${e.maxWorkers} workers)` : ''}${e.tz && e.tz !== 'UTC' ? ` TZ=${e.tz}` : ''}`,
      capture: join(fixturesDir, e.capture), golden: join(fixturesDir, e.golden), args, env: { TZ: e.tz ?? 'UTC' }, limited,
    };
  });
}
