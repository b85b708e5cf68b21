import type { RawMessage } from './decode.js';

/**
 * kombu's Redis transport publishes each message as a JSON envelope:
 * {body, content-type, content-encoding, headers, properties: {body_encoding, ...}}.
 * Returns the message inside, or null if the envelope itself is malformed.
 */
export function openKombuEnvelope(data: string | Buffer): RawMessage | null {
  let envelope: unknown;
  try {
    envelope = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    return null;
  }
  if (envelope === null || typeof envelope !== 'object') return null;
  const env = envelope as Record<string, unknown>;
  const body = env.body;
  if (typeof body !== 'string') return null;
  const properties = (env.properties ?? {}) as Record<string, unknown>;
  const headers = (env.headers ?? {}) as Record<string, unknown>;
  return {
    body: properties.body_encoding === 'base64' ? Buffer.from(body, 'base64') : body,
    contentType: typeof env['content-type'] === 'string' ? env['content-type'] as string : undefined,
    contentEncoding: typeof env['content-encoding'] === 'string' ? env['content-encoding'] as string : undefined,
    compression: typeof headers.compression === 'string' ? headers.compression : undefined,
  };
}
