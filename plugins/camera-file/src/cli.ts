#!/usr/bin/env node
// evcam-file-rebuild DIR [--seq N] [--out FILE]: the State at a stored shutter, from a file camera directory.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { EvcamError } from '@evcam/camera-api';
import { rebuildState } from './rebuild.js';

const USAGE = 'usage: evcam-file-rebuild DIR [--seq N] [--out FILE]   (prints the evcam.snapshot/1 document at seq N, default the newest)';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { seq: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`EVCAM_ERR_USAGE: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  const seq = values.seq === undefined ? undefined : Number(values.seq);
  if (positionals.length !== 1 || (seq !== undefined && !(Number.isSafeInteger(seq) && seq > 0))) {
    process.stderr.write(`EVCAM_ERR_USAGE: give one directory and, optionally, --seq as a positive integer\n${USAGE}\n`);
    return 2;
  }
  try {
    const json = JSON.stringify(await rebuildState(positionals[0], seq));
    if (values.out) await writeFile(values.out, json);
    else process.stdout.write(`${json}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${EvcamError.is(err) ? `${err.code}: ` : ''}${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main();
