import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EvcamError, ErrorCodes } from '@evcam/camera-api';
import { openKombuEnvelope, type Ingestor, type RawMessage } from 'evcam-kernel';

/** The recorded Celery stream the kit folds when no other fixture is given. */
export const DEFAULT_FIXTURE = fileURLToPath(new URL('../fixtures/rabbitmq-5.2.6.jsonl', import.meta.url));

/** One line of a capture: when it was received, and what. */
export interface Delivery {
  at: number;
  message?: RawMessage;
  event?: Record<string, unknown>;
}

/**
 * Read a capture in any format `evcam-kernel replay` accepts: AMQP captures
 * ({recv_ts, body, properties}), Redis captures ({recv_ts, data}) or plain events.
 */
export function readDeliveries(file: string): Delivery[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new EvcamError(ErrorCodes.REPLAY_FILE, `conformance fixture ${file} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const out: Delivery[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const rec = JSON.parse(line) as Record<string, unknown>;
    if (typeof rec.body === 'string' && typeof rec.recv_ts === 'number') {
      const props = (rec.properties ?? {}) as Record<string, unknown>;
      const headers = (props.application_headers ?? {}) as Record<string, unknown>;
      out.push({ at: rec.recv_ts, message: {
        body: rec.body, contentType: props.content_type as string | undefined,
        contentEncoding: props.content_encoding as string | undefined, compression: headers.compression as string | undefined,
      } });
    } else if (typeof rec.data === 'string' && typeof rec.recv_ts === 'number') {
      const message = openKombuEnvelope(rec.data);
      if (message !== null) out.push({ at: rec.recv_ts, message });
    } else if (typeof rec.type === 'string') {
      const at = typeof rec.local_received === 'number' ? rec.local_received : rec.timestamp;
      if (typeof at === 'number') out.push({ at, event: rec });
    }
  }
  if (out.length < 8) {
    throw new EvcamError(ErrorCodes.REPLAY_FILE,
      `conformance fixture ${file} holds ${out.length} usable lines; the kit needs at least 8 to drive every lifecycle phase.`);
  }
  return out;
}

/** Fold one delivery exactly as replay and the live receivers do. */
export function deliver(ingestor: Ingestor, d: Delivery): void {
  if (d.message) ingestor.receive(d.message, d.at);
  else {
    ingestor.metrics.messages++;
    ingestor.receiveEvent(structuredClone(d.event), d.at);
  }
}
