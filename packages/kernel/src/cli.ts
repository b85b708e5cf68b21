import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { EvcamError, ErrorCodes } from '@evcam/camera-api';
import { Command, Option } from 'commander';
import type { LoadedConfig } from './config/load.js';
import type { EvcamConfig } from './config/schema.js';

// Exit codes (sysexits.h, as commands.ts's EXIT): inlined so --help and --version load no command code.
const EXIT = { ok: 0, failure: 1, usage: 64, unavailable: 69, config: 78 } as const;
const EX_CANTCREAT = 73;
/** The commands and the config loader (zod, cosmiconfig, pino, inversify) load only when a command runs. */
const commands = () => import('./commands.js');

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

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
  checkpoint?: string | false;
  ha?: string;
  haNode?: string;
  haLease?: string;
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
    .option('--camera-option <key=value>', "camera option (repeatable; dotted keys); a JSON value where the camera's schema takes it, else the text as typed", collect, [])
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
    .option('--checkpoint <path>', 'checkpoint the State to this file and restore it at start (no-loss mode default: $XDG_STATE_HOME/evcam/<queue>@<broker>.checkpoint.json)')
    .option('--no-checkpoint', 'no-loss mode without checkpoints: a crash then loses the State')
    .option('--ha <group>', 'high availability: one leader per group writes, the others stand by (docs/reliability.md, Running two)')
    .option('--ha-node <name>', "this kernel's stable name in the HA group (default: the host name)")
    .option('--ha-lease <secs>', 'HA lease, seconds: a dead leader is replaced within about this long (default 4)');
}

/** The default command's flags under the bare command's --help, as `celery events --help` lists its own. */
function defaultCommandHelp(cmd: Command): string {
  const help = cmd.createHelp();
  help.helpWidth = process.stdout.columns || 80;
  const width = help.longestOptionTermLength(cmd, help);
  const items = help.visibleOptions(cmd).filter((o) => o.long !== '--help')
    .map((o) => help.formatItem(help.optionTerm(o), width, help.optionDescription(o), help));
  return `\nOptions of the default command (evcam-kernel [run] [options]):\n${items.join('\n')}\n`;
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
  if (flags.checkpoint === false) o.checkpoint = { enabled: false };
  else if (flags.checkpoint !== undefined) o.checkpoint = { file: flags.checkpoint };
  if (flags.ha !== undefined || flags.haNode !== undefined || flags.haLease !== undefined) {
    o.ha = { group: flags.ha as string, node: flags.haNode, lease: flags.haLease };
  }
  return o;
}

async function load(flags: CommonFlags): Promise<LoadedConfig> {
  if (flags.frequency === undefined && (flags as { freq?: number }).freq !== undefined) flags.frequency = (flags as { freq?: number }).freq;
  const { loadConfig, parseCameraOptionFlags } = await import('./config/load.js');
  return loadConfig({
    configPath: flags.config,
    overrides: overridesFrom(flags),
    camera: { name: flags.camera, options: parseCameraOptionFlags(flags.cameraOption) },
  });
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
  const runCmd = addCommonOptions(program.command('run', { isDefault: true }).description('consume events from the broker and take snapshots (default)'))
    .action((flags: CommonFlags) => { result = Promise.all([load(flags), commands()]).then(([loaded, c]) => c.runCommand(loaded)); });
  program.addHelpText('after', () => defaultCommandHelp(runCmd));
  addCommonOptions(program.command('replay').argument('<file>', 'JSON Lines capture: AMQP, Redis or dump format')
    .description('fold a recorded stream, take one final shutter through the camera(s), exit'))
    .action((file: string, flags: CommonFlags) => { result = Promise.all([load(flags), commands()]).then(([loaded, c]) => c.replayCommand(file, loaded)); });
  addCommonOptions(program.command('dump').description('print every received event as one JSON line (record with > file.jsonl)'))
    .action((flags: CommonFlags) => { result = Promise.all([load(flags), commands()]).then(([loaded, c]) => c.dumpCommand(loaded)); });
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
