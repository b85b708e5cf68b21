import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root (tests run from test/dist/...). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = join(ROOT, 'test', 'fixtures');
export const KERNEL_BIN = join(ROOT, 'packages', 'kernel', 'bin', 'evcam-kernel.js');
export const fixture = (name: string): string => join(FIXTURES, name);
