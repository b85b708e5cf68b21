import { readFileSync } from 'node:fs';
import os from 'node:os';

/** What the figures were measured on. */
export function machine() {
  const amqplib = JSON.parse(readFileSync(new URL('../../node_modules/amqplib/package.json', import.meta.url), 'utf8')).version;
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    amqplib,
  };
}
