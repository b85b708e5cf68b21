import { bool, bytes, duration, positiveInt, REDACTED, redactUrl } from '@evcam/options';
import { z } from 'zod';

// Booleans, durations, sizes and counts: the shared @evcam/options parsers (they also take --camera-option strings).
const bytesAtLeast1KiB = bytes.refine((v) => v >= 1024, 'must be at least 1024 bytes');

// Real S3 is stricter (3-63 lowercase); MinIO/Ceph accept a bit more, so only refuse what no store accepts.
const bucketName = z.string({ error: 'is required: the name of an existing bucket (e.g. bucket: "celery-history")' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/, 'must be a bucket name (letters, digits, ".", "_", "-"), without "s3://" or a path');

export const optionsSchema = z.object({
  bucket: bucketName,
  /** Key prefix for every object; a trailing "/" is added when missing. */
  prefix: z.string().refine((p) => !p.startsWith('/'), 'must not start with "/"').default('evcam/')
    .transform((p) => (p === '' || p.endsWith('/') ? p : `${p}/`)),
  /** Left to the SDK chain (AWS_REGION, profile) when unset; "us-east-1" with a custom endpoint. */
  region: z.string().min(1).optional(),
  /** For MinIO, Ceph, R2, ...: e.g. http://127.0.0.1:9000 */
  endpoint: z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL').optional(),
  /** http://host/bucket/key instead of http://bucket.host/key (MinIO and most self-hosted stores need it). */
  forcePathStyle: bool.default(false),
  /** A shared-config profile (~/.aws/config); otherwise the SDK default chain picks credentials. */
  profile: z.string().min(1).optional(),
  accessKeyId: z.string().min(1).optional(),
  secretAccessKey: z.string().min(1).optional(),
  sessionToken: z.string().min(1).optional(),
  /** Gzip history objects (latest.json stays plain). */
  gzip: bool.default(true),
  /** Upload only changed tasks/workers, with a full snapshot every fullEvery shutters. */
  delta: bool.default(false),
  fullEvery: positiveInt.default(60),
  /** Delta mode: also write a full object once the deltas since the last one outgrow this fraction of its size. */
  fullFraction: z.coerce.number().positive().default(1),
  /** Delete history objects older than this in onCleanup (seconds or "7d"); unset keeps everything. */
  retention: duration.optional(),
  /** Where snapshots wait while S3 is down; relative to the config file. Default: .evcam-spool/s3-<bucket> */
  spoolDir: z.string().min(1).optional(),
  /** Spool bound; when full the oldest history objects are dropped (counted and logged). */
  spoolMaxBytes: bytesAtLeast1KiB.default(256 * 1024 ** 2),
  /** Seconds one S3 request may take before the snapshot goes to the spool. */
  requestTimeout: duration.default(10),
  /** Cap of the backoff between attempts to drain the spool. */
  maxBackoff: duration.default(30),
  /** Seconds onClose() keeps trying to drain the spool before leaving the rest for the next start. */
  closeTimeout: duration.default(5),
  /**
   * 'when_required' for older S3-compatible stores that mishandle the SDK's default
   * request checksums; unset keeps the SDK default (what real S3 wants).
   */
  checksums: z.enum(['when_supported', 'when_required']).optional(),
}).strict().superRefine((o, ctx) => {
  if ((o.accessKeyId === undefined) !== (o.secretAccessKey === undefined)) {
    ctx.addIssue({ code: 'custom', path: [o.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey'],
      message: 'set both accessKeyId and secretAccessKey, or neither (to use the SDK default credential chain)' });
  }
  if (o.sessionToken !== undefined && o.accessKeyId === undefined) {
    ctx.addIssue({ code: 'custom', path: ['sessionToken'], message: 'needs accessKeyId and secretAccessKey' });
  }
  if (o.profile !== undefined && o.accessKeyId !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['profile'], message: 'set either profile or accessKeyId/secretAccessKey, not both' });
  }
});

export type S3CameraOptions = z.output<typeof optionsSchema>;

const SECRET_KEYS = new Set(['accessKeyId', 'secretAccessKey', 'sessionToken']);

/** The options as they may be logged: credentials replaced, user:password stripped from the endpoint. */
export function redactOptions(options: S3CameraOptions): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => {
    if (SECRET_KEYS.has(k) && v !== undefined) return [k, REDACTED];
    if (k === 'endpoint' && typeof v === 'string') return [k, redactUrl(v)];
    return [k, v];
  }));
}
