export { FileCamera, FileCamera as default, historyName } from './file-camera.js';
export { fileCameraOptions, type FileCameraOptions } from './options.js';
export { rebuildState, parseDeltas } from './rebuild.js';
export { listGroups, type Group } from './layout.js';
