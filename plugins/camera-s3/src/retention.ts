import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@evcam/camera-api';
import { parseHistoryKey } from './layout.js';

const DELETE_BATCH = 1000; // DeleteObjects' maximum

/**
 * Delete history objects whose snapshot was taken before `cutoff` (epoch seconds).
 * Keys are time-ordered, so the listing stops at the first hour folder newer than
 * the cutoff instead of walking the whole history. latest.json and foreign keys are never touched.
 */
export async function deleteExpiredHistory(client: S3Client, bucket: string, prefix: string, cutoff: number,
  logger: Logger): Promise<{ deleted: number; failed: number }> {
  let deleted = 0;
  let failed = 0;
  let expired: string[] = [];
  const flush = async () => {
    if (expired.length === 0) return;
    const batch = expired;
    expired = [];
    const out = await client.send(new DeleteObjectsCommand({
      Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
    }));
    const errors = out.Errors ?? [];
    failed += errors.length;
    deleted += batch.length - errors.length;
    if (errors.length > 0) {
      logger.warn({ bucket, failed: errors.length, first: errors[0] }, 'S3 retention: some history objects could not be deleted; will retry at the next cleanup');
    }
  };

  let token: string | undefined;
  listing: do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const { Key } of page.Contents ?? []) {
      const parsed = Key === undefined ? null : parseHistoryKey(prefix, Key);
      if (!parsed) continue;
      if (parsed.hourStart > cutoff) break listing;
      if (parsed.takenAt < cutoff) expired.push(Key!);
      if (expired.length >= DELETE_BATCH) await flush();
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  await flush();
  return { deleted, failed };
}
