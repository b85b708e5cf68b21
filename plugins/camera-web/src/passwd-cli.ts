#!/usr/bin/env node
// `npx evcam-web-passwd`: reads a password (stdin or prompt) and prints its hash for the `users` option.
import { createInterface } from 'node:readline';
import { hashPassword } from './auth.js';

async function readPassword(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdin.isTTY ? process.stderr : undefined, terminal: false });
  if (process.stdin.isTTY) process.stderr.write('Password (input is shown; pipe it in to hide it): ');
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

const password = await readPassword();
if (password.length === 0) {
  process.stderr.write('evcam-web-passwd: empty password; type one, or pipe it in: printf %s "$PASS" | npx evcam-web-passwd\n');
  process.exit(64);
}
process.stdout.write(`${await hashPassword(password)}\n`);
