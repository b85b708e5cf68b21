import { EvcamError, ErrorCodes, type Logger } from '@evcam/camera-api';
import { ContainerModule } from '#inversify';
import type { LoadedConfig } from './config/load.js';
import { buildContainer } from './container/build.js';
import { Ids } from './container/ids.js';
import type { DecodedEventSink } from './container/services.js';
import type { Kernel } from './kernel.js';
import { ReplayClock, replayFile } from './replay.js';
import { createLogger } from './runtime/logger.js';
import { acquirePidfile } from './runtime/pidfile.js';

/** Exit codes (sysexits.h, as Celery uses them). */
export const EXIT = { ok: 0, failure: 1, usage: 64, unavailable: 69, config: 78 } as const;

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
function onStopSignal(logger: Logger): { stopped: Promise<string>; dispose: () => void } {
  let resolveStop!: (signal: string) => void;
  const stopped = new Promise<string>((r) => { resolveStop = r; });
  let count = 0;
  const handler = (signal: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      logger.info({ signal }, 'stopping: final shutter, then exit (send again to exit at once)');
      resolveStop(signal);
    } else {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return { stopped, dispose: () => { process.off('SIGINT', handler); process.off('SIGTERM', handler); } };
}

/** `evcam-kernel [run]`: consume, shutter, stop on a signal or --limit. */
export async function runCommand({ config, configDir, filepath }: LoadedConfig): Promise<number> {
  const logger = createLogger(config.log);
  const releasePid = config.pidfile ? acquirePidfile(config.pidfile, logger) : () => {};
  const signals = onStopSignal(logger);
  try {
    const container = await buildContainer({ config, configDir, logger });
    const kernel = await container.getAsync(Ids.Kernel) as Kernel;
    const names = kernel.cameras.map((c) => c.name);
    logger.info({ config: filepath ?? '(built-in defaults)', broker: config.broker, cameras: names, freq: config.freq,
      checkpoint: config.checkpoint?.file ?? null, ...(config.ha ? { ha: config.ha.group } : {}) }, 'evcam starting');
    if (config.receiver.queue !== undefined && config.checkpoint?.enabled === false) {
      logger.warn({ queue: config.receiver.queue },
        'checkpoints are off (--no-checkpoint / checkpoint: false): a crash loses the State; the queue keeps only what was not folded yet');
    }
    process.stdout.write(`-> evcam: Taking snapshots with ${names.join(', ')} (every ${config.freq} secs.)\n`);
    const limited = kernel.limitReached();
    await kernel.start();
    const why = await Promise.race([signals.stopped, limited]);
    logger.info({ why, folded: kernel.ingestor.metrics.folded }, 'stopping');
    await kernel.stop();
    return EXIT.ok;
  } finally {
    signals.dispose();
    releasePid();
  }
}

/** `replay FILE`: fold a capture, one final shutter through every camera, a JSON summary on stdout. */
export async function replayCommand(file: string, { config, configDir }: LoadedConfig): Promise<number> {
  const logger = createLogger(config.log);
  const clock = new ReplayClock();
  const container = await buildContainer({ config, configDir, logger, clock, command: 'replay' });
  const kernel = await container.getAsync(Ids.Kernel) as Kernel;
  // A replay is over in seconds: waiting for a camera's backend would only delay the failure.
  await kernel.start({ receive: false, retryCameraStart: false });
  let summary;
  try {
    summary = await replayFile(file, kernel.ingestor, clock, logger);
  } catch (err) {
    await kernel.stop();
    throw new EvcamError(ErrorCodes.REPLAY_FILE, `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  await kernel.stop();
  const failed = kernel.cameras.filter((c) => c.health.lastStoredSeq === null || c.health.status === 'failing');
  process.stdout.write(`${JSON.stringify({ replay: file, ...summary, event_count: kernel.state.eventCount, task_count: kernel.state.taskCount,
    cameras: kernel.cameras.map((c) => ({ name: c.name, source: c.source, ...c.health })) })}\n`);
  if (failed.length > 0) {
    logger.error({ cameras: failed.map((c) => c.name) }, 'the final snapshot was not stored by every camera');
    return EXIT.unavailable;
  }
  return EXIT.ok;
}

/** `dump`: every received event as one JSON line, as received (kombu envelopes opened), plus when. */
export async function dumpCommand({ config, configDir }: LoadedConfig): Promise<number> {
  const logger = createLogger(config.log);
  const print: DecodedEventSink = (event, receivedAt) => {
    let line: string;
    try {
      line = JSON.stringify({ ...event, local_received: receivedAt });
    } catch {
      return;
    }
    process.stdout.write(`${line}\n`);
  };
  const sink = new ContainerModule(({ bind }) => { bind(Ids.DecodedEventSink).toConstantValue(print); });
  const container = await buildContainer({ config, configDir, logger, withoutCameras: true, command: 'dump', modules: [sink] });
  const kernel = await container.getAsync(Ids.Kernel) as Kernel;
  const signals = onStopSignal(logger);
  const limited = kernel.limitReached();
  await kernel.start();
  await Promise.race([signals.stopped, limited]);
  signals.dispose();
  await kernel.stop();
  return EXIT.ok;
}
