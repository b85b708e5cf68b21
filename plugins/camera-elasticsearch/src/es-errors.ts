import { errors } from '@elastic/elasticsearch';
import { redactUrl } from './options.js';

/** 429 and 5xx mean "later"; any other 4xx will fail the same way again. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * What went wrong, safe to log. Never log the client's error object itself: its
 * `meta` carries the request, including the Authorization header.
 */
export function describeEsError(err: unknown): { status?: number; type?: string; reason: string } {
  if (err instanceof errors.ResponseError) {
    const body = err.body as { error?: { type?: string; reason?: string } | string } | undefined;
    const error = typeof body?.error === 'object' ? body.error : undefined;
    return {
      status: err.statusCode,
      type: error?.type,
      reason: redactUrl(error?.reason ?? (typeof body?.error === 'string' ? body.error : err.message)),
    };
  }
  const e = err as { name?: string; message?: string };
  return { type: e?.name, reason: redactUrl(String(e?.message ?? err)) };
}

/** True when retrying later may help: unreachable, timed out, throttled, or a server-side error. */
export function isRetryableEsError(err: unknown): boolean {
  if (err instanceof errors.ResponseError) return isRetryableStatus(err.statusCode ?? 0);
  return err instanceof errors.ConnectionError || err instanceof errors.TimeoutError ||
    err instanceof errors.NoLivingConnectionsError || err instanceof errors.RequestAbortedError;
}

/** One sentence telling the user what to do about a failure at startup. */
export function adviceFor(err: unknown): string {
  if (err instanceof errors.ResponseError) {
    if (err.statusCode === 401) return 'authentication failed: check auth (apiKey, username/password or bearer)';
    if (err.statusCode === 403) {
      return 'the credentials lack a privilege: grant manage_index_templates (cluster) and write, delete, create_index on the evcam indices, or set installTemplates: false';
    }
    if (isRetryableStatus(err.statusCode ?? 0)) return 'the cluster is unavailable or overloaded; evcam will retry';
    return 'Elasticsearch rejected the request';
  }
  if (err instanceof errors.ProductNotSupportedError) {
    return 'the server is not Elasticsearch (or hides the x-elastic-product header); point node at an Elasticsearch 8.x/9.x cluster';
  }
  if (isRetryableEsError(err)) return 'Elasticsearch is unreachable; check node/cloud.id and the network; evcam will retry';
  return 'unexpected client error';
}
