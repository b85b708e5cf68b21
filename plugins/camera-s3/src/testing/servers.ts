import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startFauxqs } from 'fauxqs';
import S3rver from 's3rver';

/** A real S3-protocol server on 127.0.0.1, started by the test. */
export interface TestS3 {
  readonly kind: 'fauxqs' | 's3rver';
  readonly port: number;
  readonly endpoint: string;
  /** Credentials the server accepts. */
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** A client for the test's own checks (not the camera's). */
  readonly client: S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** fauxqs: in-memory, faithful to the SDK defaults, accepts any credentials. */
export async function startFauxqsS3(port = 0): Promise<TestS3> {
  const server = await startFauxqs({ port, host: '127.0.0.1', logger: false });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...credentials } }); // the SDK tags the object it gets
  return {
    kind: 'fauxqs', port: server.port, endpoint, credentials, client,
    async createBucket(name) { server.createBucket(name); },
    async stop() { client.destroy(); await server.stop(); },
  };
}

/**
 * s3rver: on disk, checks access keys (S3RVER/S3RVER) and keeps Content-Encoding.
 * Its test client needs WHEN_REQUIRED checksums (toolchain.md §6); the camera keeps SDK defaults.
 */
export async function startS3rver(port = 0): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 'evcam-s3rver-'));
  const server = new S3rver({ port, address: '127.0.0.1', silent: true, directory });
  const { port: actual } = await server.run();
  const endpoint = `http://127.0.0.1:${actual}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...credentials },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  return {
    kind: 's3rver', port: actual, endpoint, credentials, client,
    async createBucket(name) { await client.send(new CreateBucketCommand({ Bucket: name })); },
    async stop() { client.destroy(); await server.close(); rmSync(directory, { recursive: true, force: true }); },
  };
}

/** A TCP port that nothing listens on (for "connection refused"). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Every key under `prefix`, in S3 listing order. */
export async function listKeys(client: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.push(o.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

export async function getObject(client: S3Client, bucket: string, key: string) {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = Buffer.from(await out.Body!.transformToByteArray());
  return { body, contentType: out.ContentType, contentEncoding: out.ContentEncoding, metadata: out.Metadata ?? {}, cacheControl: out.CacheControl };
}
