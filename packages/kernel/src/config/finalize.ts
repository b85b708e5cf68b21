import { chooseCheckpoint } from '../checkpoint/default-file.js';
import { haQueueName, haSettings } from '../ha/settings.js';
import { brokerKind } from '../receivers/broker-url.js';
import type { ResolvedConfig } from './schema.js';

/**
 * Defaults that depend on other keys, applied once after validation:
 * with `ha`, each node consumes its own no-loss queue (`<queue>.<node>`, on AMQP);
 * in no-loss mode the State is checkpointed by default to a per-queue file in
 * the state directory (`checkpoint: false` / --no-checkpoint turns it off).
 */
export function finalizeConfig(config: ResolvedConfig, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  let receiver = config.receiver;
  let file = config.checkpoint?.file;
  if (config.ha !== undefined) {
    const ha = haSettings(config.ha);
    if (isAmqp(config.broker)) receiver = { ...receiver, queue: haQueueName(receiver.queue, ha) };
    // Kernels configured alike on one host must not share a checkpoint: each holds its own queue's acks.
    if (file !== undefined) file = perNode(file, ha.node);
  }
  const choice = chooseCheckpoint({ queue: receiver.queue, file, enabled: config.checkpoint?.enabled ?? true, broker: config.broker }, env);
  let checkpoint = choice.kind === 'file' ? { ...config.checkpoint, enabled: true, file: choice.file }
    : config.checkpoint === undefined ? undefined : { ...config.checkpoint, file: undefined };
  // A standby takes no shutters, so checkpoints cannot follow the first camera's: every freq instead.
  if (config.ha !== undefined && checkpoint?.file !== undefined && checkpoint.interval === undefined) checkpoint = { ...checkpoint, interval: config.freq };
  return { ...config, receiver, checkpoint };
}

function isAmqp(broker: string): boolean {
  try {
    return brokerKind(broker) === 'amqp';
  } catch {
    return false; // the receiver reports a bad URL with the fix
  }
}

/** `/srv/cp.json` → `/srv/cp.<node>.json` (a name without .json gets `.<node>` appended). */
export function perNode(file: string, node: string): string {
  return file.endsWith('.json') ? `${file.slice(0, -'.json'.length)}.${node}.json` : `${file}.${node}`;
}
