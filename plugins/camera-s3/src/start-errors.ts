import { EvcamError, ErrorCodes } from '@evcam/camera-api';

interface SdkError extends Error {
  $metadata?: { httpStatusCode?: number };
  Code?: string;
  code?: string;
}

/**
 * Turn a failed HeadBucket into an EvcamError that says what to fix.
 * Config mistakes (no such bucket, bad credentials, wrong region) are not retryable;
 * an unreachable or failing endpoint is.
 */
export function startError(err: unknown, bucket: string, where: string): EvcamError {
  const e = err as SdkError;
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? '';
  const cause = { cause: err };
  const fail = (message: string, retryable: boolean) =>
    new EvcamError(ErrorCodes.CAMERA_START, `S3 camera: ${message}`, { ...cause, retryable });

  if (status === 404 || name === 'NotFound' || name === 'NoSuchBucket') {
    return fail(`bucket "${bucket}" does not exist at ${where}. Create it (aws s3 mb s3://${bucket}, or mc mb <alias>/${bucket} for MinIO) ` +
      'or fix the "bucket" option (and "endpoint"/"region" if it lives elsewhere).', false);
  }
  if (status === 403 || status === 401 || /InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|Forbidden/.test(name)) {
    return fail(`access to bucket "${bucket}" at ${where} was denied (HTTP ${status ?? name}). Check the credentials ` +
      '(accessKeyId/secretAccessKey options, or the SDK chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, instance role) ' +
      'and that their policy allows s3:ListBucket, s3:PutObject and (for retention) s3:DeleteObject on this bucket.', false);
  }
  if (status === 301 || name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed') {
    return fail(`bucket "${bucket}" is in another region than the one configured (${where}). Set the "region" option to the bucket's region.`, false);
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(e?.message ?? '')) {
    return fail('found no AWS credentials. Set accessKeyId and secretAccessKey, a "profile", AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ' +
      'or run where an instance/task role is available.', false);
  }
  if (/Region is missing/i.test(e?.message ?? '')) {
    return fail('no region is configured. Set the "region" option (or AWS_REGION).', false);
  }
  const detail = status !== undefined ? `HTTP ${status}` : (e?.code ?? name) || String(err);
  return fail(`S3 at ${where} is unreachable or failing (${detail}: ${e?.message ?? ''}). ` +
    'The kernel retries; check that the endpoint is up and reachable from here.', true);
}
