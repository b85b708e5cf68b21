#!/usr/bin/env node
// Committed shim so `npx evcam-kernel` links on a fresh install, before the build exists.
import { setFlagsFromString } from 'node:v8';

// The kernel allocates fast (a parsed object per event, snapshot dicts every shutter) while
// its live heap stays small (30-45 MB at 10k tasks). V8's default heap growth then lets
// garbage pile up to ~180 MB before a full collection; growing the heap by 20 % per GC
// instead keeps peak RSS near 170 MB at no measurable cost. EVCAM_HEAP_GROWING_PERCENT=0
// restores V8's default.
const growing = Number(process.env.EVCAM_HEAP_GROWING_PERCENT ?? 20);
if (Number.isInteger(growing) && growing > 0) setFlagsFromString(`--heap-growing-percent=${growing}`);

const { main } = await import('../dist/cli.js');
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
