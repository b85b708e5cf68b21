import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EvcamError, ErrorCodes } from '@evcam/camera-api';
import { makeCamera, tempDir } from './testing/fakes.js';
import { freePort, startFauxqsS3, startS3rver, type TestS3 } from './testing/servers.js';

let s3rver: TestS3;
let fauxqs: TestS3;
before(async () => {
  [s3rver, fauxqs] = await Promise.all([startS3rver(), startFauxqsS3()]);
  await s3rver.createBucket('evcam-creds');
});
after(async () => { await Promise.all([s3rver?.stop(), fauxqs?.stop()]); });

async function startFailure(options: Record<string, unknown>) {
  const { camera, logger } = makeCamera({ forcePathStyle: true, spoolDir: tempDir(), requestTimeout: 3, ...options });
  const err = await camera.onInstall().then(() => null, (e: unknown) => e);
  await camera.onClose();
  assert.ok(EvcamError.is(err), `an EvcamError, got ${String(err)}`);
  assert.equal(err.code, ErrorCodes.CAMERA_START);
  return { err, logger };
}

test('bad credentials: non-retryable CAMERA_START naming the bucket and what to check; secrets never logged', async () => {
  const { err, logger } = await startFailure({ bucket: 'evcam-creds', endpoint: s3rver.endpoint,
    accessKeyId: 'AKIANOTAKEY', secretAccessKey: 'very-secret-value', sessionToken: 'token-value' });
  assert.equal(err.retryable, false);
  assert.match(err.message, /access to bucket "evcam-creds" at http:\/\/127\.0\.0\.1:\d+ was denied \(HTTP 403\)/);
  assert.match(err.message, /Check the credentials/);
  const logged = logger.text();
  assert.match(logged, /S3 camera starting/);
  for (const secret of ['AKIANOTAKEY', 'very-secret-value', 'token-value']) assert.ok(!logged.includes(secret), `${secret} leaked into logs`);
});

test('missing bucket: non-retryable CAMERA_START that says to create it or fix the option', async () => {
  const { err } = await startFailure({ bucket: 'no-such-bucket', endpoint: fauxqs.endpoint, ...fauxqs.credentials });
  assert.equal(err.retryable, false);
  assert.match(err.message, /bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+\. Create it/);
});

test('unreachable endpoint (connection refused): retryable CAMERA_START', async () => {
  const port = await freePort();
  const { err } = await startFailure({ bucket: 'any-bucket', endpoint: `http://127.0.0.1:${port}`, ...fauxqs.credentials });
  assert.equal(err.retryable, true);
  assert.match(err.message, /unreachable or failing \(ECONNREFUSED/);
});

test('the right credentials on the same server pass (the 403 above is about the key, not the server)', async () => {
  const { camera } = makeCamera({ bucket: 'evcam-creds', endpoint: s3rver.endpoint, forcePathStyle: true, spoolDir: tempDir(), ...s3rver.credentials });
  await camera.onInstall();
  await camera.onClose();
});
