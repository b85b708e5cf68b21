export { API_VERSION } from './version.js';
export * from './snapshot.js';
export * from './errors.js';
export * from './runtime.js';
export * from './signal.js';
export type * from './health.js';
export type * from './host.js';
export * from './polaroid.js';
export type { StandardSchemaV1 as OptionsSchema } from '@standard-schema/spec';
