/** amqplib's only words for a connection closed during open (unknown vhost, no permission). */
export function isVhostRefusal(err: unknown): boolean {
  return /Expected ConnectionOpenOk; got <ConnectionClose/.test(String((err as Error)?.message ?? err));
}

/** Errors only the user can fix (credentials, permissions, a conflicting declaration, DNS, TLS): retrying would not help. */
export function isFatalConnectError(err: unknown): boolean {
  const message = String((err as Error)?.message ?? err);
  return /ACCESS[-_]REFUSED|\b403\b|NOT[-_]ALLOWED|\b530\b|PRECONDITION[-_]FAILED|\b406\b|ENOTFOUND|certificate|CERT_|self[- ]signed/i.test(message);
}
