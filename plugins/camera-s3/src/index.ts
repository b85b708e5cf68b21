import { S3Camera } from './camera.js';

export default S3Camera;
export { S3Camera, type S3CameraStats } from './camera.js';
export { optionsSchema, redactOptions, type S3CameraOptions } from './options.js';
export { historyKey, latestKey, parseHistoryKey } from './layout.js';
export type { DeltaDocument } from './documents.js';
