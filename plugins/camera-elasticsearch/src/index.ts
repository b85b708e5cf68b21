import { ElasticsearchCamera } from './camera.js';

export default ElasticsearchCamera;
export { ElasticsearchCamera };
export { optionsSchema, redactOptions, type ElasticsearchCameraOptions, type RetentionOptions } from './options.js';
export { buildTemplates, indexNames, TEMPLATE_VERSION, type IndexNames } from './mappings.js';
