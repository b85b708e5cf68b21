export { WebCamera, WebCamera as default } from './web-camera.js';
export { optionsSchema, isLoopbackHost, type WebCameraOptions } from './options.js';
export { hashPassword, verifyPassword } from './auth.js';
export { TaskIndex } from './task-index.js';
export { CSP } from './server.js';
export type { HistoryStore } from './history/store.js';
