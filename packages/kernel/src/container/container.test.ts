import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EvcamError, silentLogger, type Clock, type Logger, type Timer } from '@evcam/camera-api';
import { configSchema, type EvcamConfig } from '../config/schema.js';
import { buildContainer, Kernel } from '../kernel.js';
import { TOKENS } from '../tokens.js';

const build = (config: EvcamConfig, configDir = tmpdir(), logger: Logger = silentLogger) =>
  buildContainer({ config: configSchema.parse(config), configDir, logger, withoutCameras: true });

/** A logger that keeps every warning, children included. */
function warningsLogger(): Logger & { warnings: { obj: unknown; msg?: string }[] } {
  const warnings: { obj: unknown; msg?: string }[] = [];
  const noop = () => {};
  const logger = {
    warnings, trace: noop, debug: noop, info: noop, error: noop, fatal: noop,
    warn: (obj: unknown, msg?: string) => { warnings.push({ obj, msg }); },
    child: () => logger,
  };
  return logger as unknown as Logger & { warnings: { obj: unknown; msg?: string }[] };
}

interface Folding { receiveEvent(event: unknown, at: number): void }
interface Sized { tasks: { size: number } }

const taskEvent = (i: number) => ({ type: 'task-received', uuid: `task-${i}`, hostname: 'w1', timestamp: 1_700_000_000 + i, name: 't' });

describe('DI bugs of the old composition root', () => {
  test("components: { state: 'celery' } keeps maxTasksInMemory and the logger", async () => {
    const logger = warningsLogger();
    const container = await build({ components: { state: 'celery' }, maxTasksInMemory: 3 }, tmpdir(), logger);
    const ingestor = container.get(TOKENS.Ingestor) as Folding;
    for (let i = 0; i < 5; i++) ingestor.receiveEvent(taskEvent(i), 1_700_000_000 + i);
    assert.equal((container.get(TOKENS.State) as Sized).tasks.size, 3, 'the LRU limit configured, not the default 10000');
    // A worker clock 100 s off: CeleryState warns through the logger it was given.
    ingestor.receiveEvent({ type: 'worker-heartbeat', hostname: 'w2', timestamp: 1_700_000_000 }, 1_700_000_100);
    assert.ok(logger.warnings.some((w) => /drift/i.test(w.msg ?? '')), `no drift warning: ${JSON.stringify(logger.warnings)}`);
  });

  test('components.clock reaches the Timer', async () => {
    let reads = 0;
    class CountingClock implements Clock {
      now(): number { reads++; return Date.now() / 1000; }
    }
    const container = await build({ components: { clock: CountingClock } });
    const timer = container.get(TOKENS.Timer) as Timer;
    const before = reads;
    const cancel = timer.callRepeatedly(3600, () => {});
    cancel();
    assert.ok(reads > before, 'SystemTimer scheduled with its own clock, not components.clock');
  });
});
