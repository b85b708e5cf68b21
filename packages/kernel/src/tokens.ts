/** The kernel's service identifiers under their former name (see container/ids.ts). */
export { Ids as TOKENS } from './container/ids.js';
