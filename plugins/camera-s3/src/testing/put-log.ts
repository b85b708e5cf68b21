import type { S3Client } from '@aws-sdk/client-s3';

/** Records the keys of PutObject calls the camera's own client makes: `attempts` before sending, `succeeded` after a 2xx. */
export function recordPuts(client: S3Client): { attempts: string[]; succeeded: string[] } {
  const log = { attempts: [] as string[], succeeded: [] as string[] };
  client.middlewareStack.add((next, context) => async (args) => {
    if (context.commandName !== 'PutObjectCommand') return next(args);
    const key = (args.input as { Key: string }).Key;
    log.attempts.push(key);
    const out = await next(args);
    log.succeeded.push(key);
    return out;
  }, { step: 'initialize', name: 'evcamTestPutLog' });
  return log;
}
