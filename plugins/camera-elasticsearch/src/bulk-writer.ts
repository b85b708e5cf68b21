import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, estypes } from '@elastic/elasticsearch';
import type { Logger } from '@evcam/camera-api';
import { backoffDelay } from '@evcam/retry';
import type { BulkEntry } from './documents.js';
import { isRetryableStatus } from './es-errors.js';
import type { PendingBuffer } from './pending-buffer.js';

export interface BulkWriterSettings {
  flushBytes: number;
  refresh: boolean | 'wait_for';
  /** Retries within one flush of items answered 429/5xx. */
  itemRetries: number;
  /** Seconds; cap of the backoff between those retries. */
  itemRetryMaxDelay: number;
}

export interface FlushResult {
  stored: number;
  /** Permanently refused (mapping errors and other 4xx): dropped, logged, counted. */
  rejected: number;
  /** Still buffered after the item retries ran out (429/5xx). */
  deferred: number;
  requests: number;
}

/** Log at most this many rejected documents one by one per flush; the rest as a count. */
const REJECTIONS_LOGGED_PER_FLUSH = 10;

/** Greedy split into requests of at most maxBytes (an entry larger than that goes alone). */
export function splitBySize(entries: BulkEntry[], maxBytes: number): BulkEntry[][] {
  const chunks: BulkEntry[][] = [];
  let chunk: BulkEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (chunk.length > 0 && bytes + entry.bytes > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(entry);
    bytes += entry.bytes;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/**
 * Sends what the buffers hold as `_bulk` requests and reads the answer item by
 * item, so one bad document never holds back the others. A request that fails as
 * a whole (unreachable, timeout, 503) throws, leaving the buffers untouched.
 */
export class BulkWriter {
  /** Totals since start, for logs and tests. */
  readonly totals = { stored: 0, rejected: 0, requests: 0 };

  constructor(
    private readonly client: Client,
    private readonly buffers: PendingBuffer[],
    private readonly settings: BulkWriterSettings,
    private readonly logger: Logger,
  ) {}

  get pending(): number {
    return this.buffers.reduce((n, b) => n + b.size, 0);
  }

  async flush(signal?: AbortSignal): Promise<FlushResult> {
    const result: FlushResult = { stored: 0, rejected: 0, deferred: 0, requests: 0 };
    for (let attempt = 0; ; attempt++) {
      let retryable = 0;
      const entries = this.buffers.flatMap((b) => b.list());
      for (const chunk of splitBySize(entries, this.settings.flushBytes)) {
        retryable += await this.send(chunk, result, signal);
      }
      if (retryable === 0 || attempt >= this.settings.itemRetries) {
        result.deferred = retryable;
        return result;
      }
      // The shared backoff: 0.1 s, 0.2 s, 0.4 s, ... up to itemRetryMaxDelay.
      await sleep(backoffDelay(attempt + 1, { min: 0.1, max: this.settings.itemRetryMaxDelay }) * 1000, undefined, { signal });
    }
  }

  /** One `_bulk` request; returns how many items should be retried. */
  private async send(chunk: BulkEntry[], result: FlushResult, signal?: AbortSignal): Promise<number> {
    let body = '';
    for (const entry of chunk) body += entry.ndjson + '\n';
    result.requests++;
    this.totals.requests++;
    // A string body is sent as-is: the NDJSON was built once, when the change was buffered.
    const response = await this.client.bulk(
      { operations: body as unknown as estypes.BulkOperationContainer[], refresh: this.settings.refresh },
      { signal },
    );
    let retryable = 0;
    let logged = 0;
    response.items.forEach((item, i) => {
      const entry = chunk[i];
      const outcome = Object.values(item)[0] as estypes.BulkResponseItem;
      if (!outcome.error && outcome.status < 300) {
        this.settle(entry);
        result.stored++;
        this.totals.stored++;
      } else if (isRetryableStatus(outcome.status)) {
        retryable++;
      } else {
        this.settle(entry);
        result.rejected++;
        this.totals.rejected++;
        if (logged++ < REJECTIONS_LOGGED_PER_FLUSH) {
          this.logger.error({ index: entry.index, id: entry.id, status: outcome.status, type: outcome.error?.type,
            reason: outcome.error?.reason }, 'Elasticsearch rejected a document; it is skipped (fix the mapping or the data)');
        }
      }
    });
    if (logged > REJECTIONS_LOGGED_PER_FLUSH) {
      this.logger.error({ rejected: logged, logged: REJECTIONS_LOGGED_PER_FLUSH }, 'more documents were rejected than logged one by one');
    }
    if (response.items.length !== chunk.length) {
      // Never seen from a real cluster; keep the unanswered ones buffered rather than guess.
      this.logger.warn({ sent: chunk.length, answered: response.items.length }, 'bulk response does not match the request');
    }
    return retryable;
  }

  private settle(entry: BulkEntry): void {
    for (const buffer of this.buffers) buffer.settle(entry);
  }
}
