import { after, before } from 'node:test';
import { runCameraConformance } from '@evcam/camera-testkit';
import { S3Camera } from './index.js';
import { latestKey } from './layout.js';
import { getObject, startFauxqsS3, type TestS3 } from './testing/servers.js';

// The camera against a real S3-protocol server, driven through the whole Polaroid lifecycle.
// No breakBackend: while S3 is down the camera spools and reports the shutter stored, so the kit
// simulates the failure itself (outage behaviour has its own tests in outage.test.ts).
let s3: TestS3;
before(async () => { s3 = await startFauxqsS3(); await s3.createBucket('evcam-kit'); });
after(() => s3.stop());

runCameraConformance(S3Camera, {
  get options() {
    return { bucket: 'evcam-kit', endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, spoolDir: './spool', ...s3.credentials };
  },
  // The kit reads latest.json, the State as it is: a task evicted from memory leaves it.
  eviction: 'drop',
  readBack: async () => JSON.parse((await getObject(s3.client, 'evcam-kit', latestKey('evcam/'))).body.toString('utf8')) as { tasks: Record<string, { state: string }> },
});
