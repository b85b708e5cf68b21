export { FileCamera, FileCamera as default, historyName } from './file-camera.js';
export { fileCameraOptions, type FileCameraOptions } from './options.js';
