import { PostgresCamera } from './camera.js';

export default PostgresCamera;
export { PostgresCamera, type PostgresCameraStats } from './camera.js';
export { optionsSchema, redactOptions, type PostgresCameraOptions } from './options.js';
export { migrate } from './migrate.js';
