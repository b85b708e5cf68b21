export { PrometheusCamera, PrometheusCamera as default } from './camera.js';
export { ClusterMetrics } from './metrics.js';
export { prometheusCameraOptions, DEFAULT_RUNTIME_BUCKETS, DEFAULT_QUEUE_WAIT_BUCKETS, type PrometheusCameraOptions } from './options.js';
export { hostnameGrouper, exceptionClass } from './labels.js';
