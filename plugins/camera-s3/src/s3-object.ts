/** One PutObject: everything the uploader needs, and what a spool file holds. */
export interface S3Object {
  key: string;
  body: Buffer;
  contentType: string;
  contentEncoding?: string;
  cacheControl?: string;
  metadata?: Record<string, string>;
}

export type S3ObjectHeader = Omit<S3Object, 'body'>;

const NEWLINE = 0x0a;

/** A spool file: one JSON header line (key, content type, ...), then the body bytes unchanged. */
export function encodeSpoolFile(object: S3Object): Buffer[] {
  const { body, ...header } = object;
  return [Buffer.from(`${JSON.stringify(header)}\n`), body];
}

export function decodeSpoolFile(data: Buffer): S3Object {
  const end = data.indexOf(NEWLINE);
  if (end < 0) throw new Error('spool file has no header line');
  const header = JSON.parse(data.subarray(0, end).toString('utf8')) as S3ObjectHeader;
  if (typeof header.key !== 'string' || typeof header.contentType !== 'string') throw new Error('spool file header lacks key/contentType');
  return { ...header, body: data.subarray(end + 1) };
}
