#!/usr/bin/env node
// Committed shim so `npx evcam-kernel` links on a fresh install, before the build exists.
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
