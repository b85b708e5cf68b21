import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Clock, Logger } from '@evcam/camera-api';
import type { Ingestor } from './ingest/ingestor.js';
import { openKombuEnvelope } from './ingest/kombu-envelope.js';

/** During replay "now" is the capture time of the line being folded. */
export class ReplayClock implements Clock {
  current = 0;
  now(): number {
    return this.current;
  }
}

export interface ReplaySummary {
  lines: number;
  /** Lines that were not JSON or not a known capture shape (line numbers reported in the log). */
  badLines: number;
  messages: number;
  folded: number;
  badMessages: Record<string, number>;
}

type CaptureLine = Record<string, unknown>;

/**
 * Fold a recorded stream through the same decoding and State as live ingestion.
 * Each line is auto-detected: an AMQP capture ({recv_ts, body, properties}), a
 * Redis capture ({recv_ts, channel, data}) or a plain event as `dump` writes it.
 */
export async function replayFile(file: string, ingestor: Ingestor, clock: ReplayClock, logger: Logger): Promise<ReplaySummary> {
  const summary: ReplaySummary = { lines: 0, badLines: 0, messages: 0, folded: 0, badMessages: {} };
  const input = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  const foldedBefore = ingestor.metrics.folded;
  const messagesBefore = ingestor.metrics.messages;
  let lineNo = 0;
  const badLine = (why: string): void => {
    summary.badLines++;
    if (summary.badLines <= 20) logger.warn({ file, line: lineNo, why }, 'skipping a bad replay line');
  };
  for await (const line of input) {
    lineNo++;
    if (line.trim() === '') continue;
    summary.lines++;
    let rec: CaptureLine;
    try {
      rec = JSON.parse(line) as CaptureLine;
    } catch {
      badLine('not JSON');
      continue;
    }
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
      badLine('not a JSON object');
      continue;
    }
    if (typeof rec.body === 'string' && typeof rec.recv_ts === 'number') {
      clock.current = rec.recv_ts;
      const props = (rec.properties ?? {}) as Record<string, unknown>;
      const headers = (props.application_headers ?? {}) as Record<string, unknown>;
      ingestor.receive({
        body: rec.body,
        contentType: props.content_type as string | undefined,
        contentEncoding: props.content_encoding as string | undefined,
        compression: headers.compression as string | undefined,
      }, rec.recv_ts);
    } else if (typeof rec.data === 'string' && typeof rec.recv_ts === 'number') {
      clock.current = rec.recv_ts;
      const msg = openKombuEnvelope(rec.data);
      if (msg === null) {
        ingestor.metrics.messages++;
        ingestor.bad('bad-envelope');
        continue;
      }
      ingestor.receive(msg, rec.recv_ts);
    } else if (typeof rec.type === 'string' && !('body' in rec) && !('data' in rec)) {
      const at = typeof rec.local_received === 'number' ? rec.local_received : rec.timestamp;
      if (typeof at !== 'number') {
        badLine('plain event without local_received or timestamp');
        continue;
      }
      clock.current = at;
      ingestor.metrics.messages++;
      ingestor.receiveEvent(rec, at);
    } else {
      badLine('unknown shape: expected an AMQP capture {recv_ts, body}, a Redis capture {recv_ts, data} or an event {type, ...}');
    }
  }
  summary.messages = ingestor.metrics.messages - messagesBefore;
  summary.folded = ingestor.metrics.folded - foldedBefore;
  summary.badMessages = Object.fromEntries(ingestor.metrics.bad);
  return summary;
}
