import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3CameraOptions } from './options.js';
import type { S3Object } from './s3-object.js';
import type { PutObject } from './uploader.js';

/** The SDK client for the options. Credentials come from the SDK default chain unless given explicitly. */
export function createS3Client(o: S3CameraOptions): S3Client {
  const config: S3ClientConfig = {
    forcePathStyle: o.forcePathStyle,
    // Self-hosted stores ignore the region but the SDK needs one to sign.
    region: o.region ?? (o.endpoint !== undefined && !process.env.AWS_REGION ? 'us-east-1' : undefined),
    requestHandler: { requestTimeout: o.requestTimeout * 1000, connectionTimeout: Math.min(o.requestTimeout, 5) * 1000 },
  };
  if (o.endpoint !== undefined) config.endpoint = o.endpoint;
  if (o.profile !== undefined) config.profile = o.profile;
  if (o.accessKeyId !== undefined && o.secretAccessKey !== undefined) {
    config.credentials = { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, sessionToken: o.sessionToken };
  }
  if (o.checksums !== undefined) {
    const mode = o.checksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
    config.requestChecksumCalculation = mode;
    config.responseChecksumValidation = mode;
  }
  return new S3Client(config);
}

/** PutObject of one prepared object, aborted by `signal` or after requestTimeout seconds. */
export function putObjectWith(client: S3Client, bucket: string, requestTimeout: number): PutObject {
  return async (object: S3Object, signal: AbortSignal): Promise<void> => {
    await client.send(new PutObjectCommand({
      Bucket: bucket,
      Key: object.key,
      Body: object.body,
      ContentLength: object.body.length,
      ContentType: object.contentType,
      ContentEncoding: object.contentEncoding,
      CacheControl: object.cacheControl,
      Metadata: object.metadata,
    }), { abortSignal: AbortSignal.any([signal, AbortSignal.timeout(requestTimeout * 1000)]) });
  };
}
