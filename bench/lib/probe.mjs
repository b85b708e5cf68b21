// Preloaded into the measured kernel (node --import): on exit, writes the
// process's peak RSS and its event-loop delay over the whole run to the file
// named by EVCAM_BENCH_PROBE. Touches nothing else in the kernel.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const out = process.env.EVCAM_BENCH_PROBE;
if (out) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  process.on('exit', () => {
    const ms = (ns) => ns / 1e6;
    writeFileSync(out, JSON.stringify({
      maxRssKb: process.resourceUsage().maxRSS,
      cpuSecs: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      atExitMb: Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 2 ** 20)])),
      loopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
    }));
  });
}
