import { SqliteCamera } from './camera.js';

export default SqliteCamera;
export { SqliteCamera, type SqliteCameraStats } from './camera.js';
export { optionsSchema, type SqliteCameraOptions } from './options.js';
