import { after, before } from 'node:test';
import { runCameraConformance } from '@evcam/camera-testkit';
import { ElasticsearchCamera } from './index.js';
import { EsDouble } from './testing/es-double.js';

// The camera against the strict HTTP double, driven through the whole Polaroid lifecycle.
const es = new EsDouble();
before(() => es.start());
after(() => es.stop());

runCameraConformance(ElasticsearchCamera, {
  options: { get node() { return es.url; }, requestTimeout: 2 },
  readBack: () => ({
    tasks: Object.fromEntries([...(es.docs.get('evcam-tasks') ?? new Map())].map(([id, doc]) => [id, doc as { state: string }])),
  }),
  // An index of record: a task evicted from memory stays as last indexed. Each kit run starts empty.
  eviction: 'keep',
  setup: () => { es.docs.clear(); },
  breakBackend: () => { es.mode = 'unavailable'; },
  repairBackend: () => { es.mode = 'up'; },
});
