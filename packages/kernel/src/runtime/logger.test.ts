import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { REDACTED } from '@evcam/options';
import { createLogger, messageWithCauses } from './logger.js';

describe('the process logger', () => {
  test('an error whose message already contains its cause is printed with the cause once', () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:9200');
    const wrapped = new Error(`Elasticsearch is not reachable (${refused.message}); start it`, { cause: refused });
    assert.equal(messageWithCauses(wrapped), 'Elasticsearch is not reachable (connect ECONNREFUSED 127.0.0.1:9200); start it');
    const plain = new Error('camera "s3" failed to start', { cause: new Error('NoSuchBucket') });
    assert.equal(messageWithCauses(plain), 'camera "s3" failed to start: NoSuchBucket', 'a cause not in the message is appended');
  });

  test('errors logged with causes and URL passwords: one cause, the shared placeholder', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'evcam-log-')), 'log.jsonl');
    const logger = createLogger({ level: 'info', file, pretty: false });
    const cause = new Error('ECONNREFUSED amqp://guest:hunter2@10.0.0.1:5672//');
    logger.error({ err: new Error(`broker down: ${cause.message}`, { cause }), token: 'abc' }, 'broker down');
    logger.flush();
    const line = JSON.parse(readFileSync(file, 'utf8').trim().split('\n').at(-1)!) as { err: { message: string }; token: string };
    assert.equal(line.err.message, `broker down: ECONNREFUSED amqp://guest:${REDACTED}@10.0.0.1:5672//`);
    assert.equal(line.token, REDACTED);
  });
});
