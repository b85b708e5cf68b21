#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 --single-threaded-gc
// Committed shim so `npx evcam-kernel` links on a fresh install, before the build exists.
// Node settings that must exist before V8 starts live in the shebang (measured with
// `npm run bench`, README "Performance"; `node bin/evcam-kernel.js` skips them):
// - --max-semi-space-size=2: the kernel's garbage is per-event objects that die young
//   either way; V8's default 16 MB semi-spaces only add ~25 MB of resident nursery.
// - MALLOC_ARENA_MAX=2: glibc gives every thread (libuv's pool writes the snapshots) its
//   own malloc arena, each holding on to freed memory: ~5 MB of RSS for nothing.
// - --single-threaded-gc: with a heap this small, GC helper threads cost more CPU than
//   they save (~0.3-0.5 µs per event less without them), CPU the broker on the same
//   cores would otherwise lose; shutter stalls stay far below the 20 ms target.
import { setFlagsFromString } from 'node:v8';

// The kernel allocates fast (a parsed object per event, snapshot slices every shutter) while
// its live heap stays small (~25 MB at 10k tasks). V8's default heap growth lets garbage
// pile up to several times that before a full collection; growing the heap by 10 % per GC
// instead keeps it close to the live size at no measurable cost (set at run time: V8 reads
// it at every collection). EVCAM_HEAP_GROWING_PERCENT=0 restores V8's default.
const growing = Number(process.env.EVCAM_HEAP_GROWING_PERCENT ?? 10);
if (Number.isInteger(growing) && growing > 0) setFlagsFromString(`--heap-growing-percent=${growing}`);

const { main } = await import('../dist/cli.js');
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
