import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { EvcamError, ErrorCodes, type Logger } from '@evcam/camera-api';
import { Command, Option } from 'commander';
import { loadConfig, parseCameraOptions, type LoadedConfig } from './config/load.js';
import type { EvcamConfig } from './config/schema.js';
import type { Ingestor } from './ingest/ingestor.js';
import { buildContainer, type Kernel } from './kernel.js';
import { ReplayClock, replayFile } from './replay.js';
import { createLogger } from './runtime/logger.js';
import { acquirePidfile, EX_CANTCREAT } from './runtime/pidfile.js';
import { TOKENS } from './tokens.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Exit codes (sysexits.h, as Celery uses them). */
const EXIT = { ok: 0, failure: 1, usage: 64, unavailable: 69, config: 78 } as const;

interface CommonFlags {
  camera?: string;
  frequency?: number;
  maxrate?: string;
  broker?: string;
  loglevel?: string;
  logfile?: string;
  pidfile?: string;
  config?: string;
  cameraOption: string[];
  maxTasksInMemory?: number;
  maxWorkersInMemory?: number;
  clearAfter?: boolean;
  queue?: string;
  acks?: 'auto' | 'none' | 'fold' | 'checkpoint';
  limit?: number;
  httpPort?: number;
  checkpoint?: string;
}

/** Celery's level names (WARNING, CRITICAL, ...) and pino's. */
function logLevel(level: string): string {
  const l = level.toLowerCase();
  const map: Record<string, string> = { warning: 'warn', critical: 'fatal', fatal: 'fatal' };
  return map[l] ?? l;
}

const number = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new EvcamError(ErrorCodes.USAGE, `${name} must be a number, got "${value}".`);
  return n;
};
const collect = (value: string, previous: string[]): string[] => [...previous, value];

function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('-c, --camera <name>', 'camera: file, s3, elasticsearch, a package name or a path to a module')
    .option('--camera-option <key=value>', 'camera option (repeatable; dotted keys; JSON values)', collect, [])
    .addOption(new Option('-F, --frequency <secs>', 'seconds between shutters (Celery: --freq)').argParser(number('--frequency')))
    .addOption(new Option('--freq <secs>').hideHelp().argParser(number('--freq')))
    .option('-r, --maxrate <rate>', 'at most this many shutters: 10/m, 1/s, 5/h')
    .option('-b, --broker <url>', 'broker URL: amqp://user:pass@host:5672//, redis://host:6379/0 (env EVCAM_BROKER_URL)')
    .option('-l, --loglevel <level>', 'trace, debug, info, warning, error, critical')
    .option('-f, --logfile <path>', 'log to this file instead of stderr')
    .option('--pidfile <path>', 'refuse to start if a live process holds this pidfile')
    .option('--config <path>', 'config file (default: search evcam.config.ts, .evcamrc*, package.json#evcam)')
    .addOption(new Option('--max-tasks-in-memory <n>', 'LRU limit of tasks (default 10000)').argParser(number('--max-tasks-in-memory')))
    .addOption(new Option('--max-workers-in-memory <n>', 'LRU limit of workers (default 5000)').argParser(number('--max-workers-in-memory')))
    .option('--clear-after', 'clear the State after each stored shutter (Celery clear_after)')
    .option('--queue <name>', 'no-loss mode: consume a durable named queue, ack after folding')
    .addOption(new Option('--acks <mode>', "how the named queue's messages are acked (receiver.acks)").choices(['auto', 'fold', 'checkpoint', 'none']))
    .addOption(new Option('--limit <n>', 'exit after this many events were folded (final shutter first)').argParser(number('--limit')))
    .addOption(new Option('--http-port <port>', 'serve /healthz and /metrics on this port').argParser(number('--http-port')))
    .option('--checkpoint <path>', 'checkpoint the State to this file and restore it at start');
}

function overridesFrom(flags: CommonFlags): EvcamConfig {
  const o: EvcamConfig = {};
  const freq = flags.frequency;
  if (freq !== undefined) o.freq = freq;
  if (flags.maxrate !== undefined) o.maxrate = flags.maxrate;
  if (flags.broker !== undefined) o.broker = flags.broker;
  if (flags.loglevel !== undefined || flags.logfile !== undefined) {
    o.log = {};
    if (flags.loglevel !== undefined) o.log.level = logLevel(flags.loglevel) as 'info';
    if (flags.logfile !== undefined) o.log.file = flags.logfile;
  }
  if (flags.pidfile !== undefined) o.pidfile = flags.pidfile;
  if (flags.maxTasksInMemory !== undefined) o.maxTasksInMemory = flags.maxTasksInMemory;
  if (flags.maxWorkersInMemory !== undefined) o.maxWorkersInMemory = flags.maxWorkersInMemory;
  if (flags.clearAfter) o.clearAfter = true;
  if (flags.queue !== undefined || flags.acks !== undefined) o.receiver = { queue: flags.queue, acks: flags.acks };
  if (flags.limit !== undefined) o.limit = flags.limit;
  if (flags.httpPort !== undefined) o.http = { port: flags.httpPort };
  if (flags.checkpoint !== undefined) o.checkpoint = { file: flags.checkpoint };
  return o;
}

async function load(flags: CommonFlags): Promise<LoadedConfig> {
  if (flags.frequency === undefined && (flags as { freq?: number }).freq !== undefined) flags.frequency = (flags as { freq?: number }).freq;
  return loadConfig({
    configPath: flags.config,
    overrides: overridesFrom(flags),
    camera: { name: flags.camera, options: parseCameraOptions(flags.cameraOption) },
  });
}

/** Resolves with 'limit' once `limit` events were folded (Celery's capture(limit=N)); never without a limit. */
function limitReached(ingestor: Ingestor, limit: number | undefined): Promise<string> {
  return new Promise<string>((resolve) => {
    if (limit === undefined) return;
    ingestor.onFold = (folded) => {
      if (folded >= limit) {
        ingestor.onFold = null;
        resolve('limit');
      }
    };
  });
}

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

async function run(flags: CommonFlags): Promise<number> {
  const { config, configDir, filepath } = await load(flags);
  const logger = createLogger(config.log);
  const releasePid = config.pidfile ? acquirePidfile(config.pidfile, logger) : () => {};
  const signals = onStopSignal(logger);
  try {
    const container = await buildContainer({ config, configDir, logger });
    const kernel = await container.getAsync<Kernel>(TOKENS.Kernel);
    logger.info({ config: filepath ?? '(built-in defaults)', broker: config.broker, cameras: kernel.cameras.map((c) => c.name), freq: config.freq },
      'evcam starting');
    process.stdout.write(`-> evcam: Taking snapshots with ${kernel.cameras.map((c) => c.name).join(', ')} (every ${config.freq} secs.)\n`);
    const limited = limitReached(kernel.ingestor, config.limit);
    if (config.checkpoint?.file !== undefined) {
      const { Checkpointer, isCheckpointedReceiver } = await import('./checkpoint/checkpointer.js');
      const receiver = isCheckpointedReceiver(kernel.receiver) ? kernel.receiver : null;
      kernel.checkpointer = new Checkpointer(resolvePath(config.checkpoint.file), kernel.state, kernel.ingestor, receiver,
        kernel.timer, logger.child({ component: 'checkpoint' }), config);
      kernel.checkpointer.restore();
    }
    const { startHttp } = await import('./http.js');
    const http = config.http ? await startHttp(config.http, kernel, logger) : null;
    try {
      await kernel.start();
    } catch (err) {
      await http?.close();
      throw err;
    }
    const why = await Promise.race([signals.stopped, limited]);
    logger.info({ why, folded: kernel.ingestor.metrics.folded }, 'stopping');
    await kernel.stop();
    await http?.close();
    return EXIT.ok;
  } finally {
    signals.dispose();
    releasePid();
  }
}

async function replay(file: string, flags: CommonFlags): Promise<number> {
  const { config, configDir } = await load(flags);
  const logger = createLogger(config.log);
  const clock = new ReplayClock();
  const container = await buildContainer({ config, configDir, logger, clock });
  const kernel = await container.getAsync<Kernel>(TOKENS.Kernel);
  await kernel.start({ receive: false });
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

async function dump(flags: CommonFlags): Promise<number> {
  const { config, configDir } = await load(flags);
  const logger = createLogger(config.log);
  const container = await buildContainer({ config, configDir, logger, withoutCameras: true });
  const ingestor = container.get<Ingestor>(TOKENS.Ingestor);
  // As received from the wire (kombu envelopes opened), plus when: replay re-applies Celery's adjustments.
  ingestor.onDecoded = (event, receivedAt) => {
    let line: string;
    try {
      line = JSON.stringify({ ...event, local_received: receivedAt });
    } catch {
      return;
    }
    process.stdout.write(`${line}\n`);
  };
  const kernel = await container.getAsync<Kernel>(TOKENS.Kernel);
  const signals = onStopSignal(logger);
  const limited = limitReached(ingestor, config.limit);
  await kernel.start();
  await Promise.race([signals.stopped, limited]);
  signals.dispose();
  await kernel.stop();
  return EXIT.ok;
}

function exitCodeFor(err: EvcamError): number {
  switch (err.code) {
    case ErrorCodes.PIDFILE: return EX_CANTCREAT;
    case ErrorCodes.USAGE: return EXIT.usage;
    case ErrorCodes.BROKER_CONNECT: return EXIT.unavailable;
    case ErrorCodes.CAMERA_START: return err.retryable ? EXIT.unavailable : EXIT.config;
    default: return EXIT.config;
  }
}

/** The CLI: `evcam-kernel [run] | replay FILE | dump | new-camera NAME`. Returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let result: Promise<number> = Promise.resolve(EXIT.ok);
  const program = new Command('evcam-kernel')
    .description("Celery's event camera: fold a cluster's events into State and hand a snapshot to cameras every freq seconds.")
    .version(VERSION, '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  addCommonOptions(program.command('run', { isDefault: true }).description('consume events from the broker and take snapshots (default)'))
    .action((flags: CommonFlags) => { result = run(flags); });
  addCommonOptions(program.command('replay').argument('<file>', 'JSON Lines capture: AMQP, Redis or dump format')
    .description('fold a recorded stream, take one final shutter through the camera(s), exit'))
    .action((file: string, flags: CommonFlags) => { result = replay(file, flags); });
  addCommonOptions(program.command('dump').description('print every received event as one JSON line (record with > file.jsonl)'))
    .action((flags: CommonFlags) => { result = dump(flags); });
  program.command('new-camera').argument('<name>', 'camera name, e.g. kafka').option('--dir <dir>', 'where to create the package')
    .description('scaffold a camera plugin package that passes the conformance kit')
    .action((name: string, flags: { dir?: string }) => {
      result = import('./scaffold.js').then((m) => m.newCamera(name, flags.dir)).then(() => EXIT.ok);
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return await result;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return EXIT.ok;
    if (typeof code === 'string' && code.startsWith('commander.')) return EXIT.usage;
    if (EvcamError.is(err)) {
      process.stderr.write(`evcam-kernel: ${err.code}: ${err.message}\n`);
      return exitCodeFor(err);
    }
    process.stderr.write(`evcam-kernel: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.failure;
  }
}
