// Test data: the shipped Celery captures, decoded here independently of the kernel,
// so "the counter equals the number of events of its type" is checked against the
// capture itself.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const FIXTURES = resolve(REPO_ROOT, 'test/fixtures');

export interface ManifestEntry { capture: string; golden: string; maxTasks: number; maxWorkers: number; tz: string }

export function manifest(): ManifestEntry[] {
  return JSON.parse(readFileSync(resolve(FIXTURES, 'manifest.json'), 'utf8')) as ManifestEntry[];
}

export type CapturedEvent = Record<string, unknown> & { type: string; local_received: number };

function decodeBody(body: string, encoding: string | undefined, compression: string | undefined): unknown {
  let text = body;
  if (encoding === 'base64' || compression) {
    const raw = Buffer.from(body, 'base64');
    text = (compression ? gunzipSync(raw) : raw).toString('utf8');
  }
  return JSON.parse(text);
}

/** Every event of a capture, in delivery order, with local_received set to its receive time. */
export function captureEvents(capture: string): CapturedEvent[] {
  const events: CapturedEvent[] = [];
  const push = (value: unknown, at: number): void => {
    for (const ev of Array.isArray(value) ? value : [value]) {
      if (ev && typeof ev === 'object' && typeof (ev as { type?: unknown }).type === 'string') {
        events.push({ ...(ev as Record<string, unknown>), local_received: at } as CapturedEvent);
      }
    }
  };
  for (const line of readFileSync(resolve(FIXTURES, capture), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const rec = JSON.parse(line) as Record<string, unknown>;
    if (typeof rec.body === 'string') {
      const props = (rec.properties ?? {}) as Record<string, unknown>;
      const headers = (props.application_headers ?? {}) as Record<string, string>;
      push(decodeBody(rec.body, undefined, headers.compression), rec.recv_ts as number);
    } else if (typeof rec.data === 'string') {
      const envelope = JSON.parse(rec.data) as { body: string; properties?: { body_encoding?: string }; headers?: Record<string, string> };
      push(decodeBody(envelope.body, envelope.properties?.body_encoding ?? 'base64', envelope.headers?.compression), rec.recv_ts as number);
    } else if (typeof rec.type === 'string') {
      push(rec, (rec.local_received ?? rec.timestamp) as number);
    }
  }
  return events;
}

/** How many events of each type a capture holds. */
export function countByType(events: readonly CapturedEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const ev of events) counts.set(ev.type, (counts.get(ev.type) ?? 0) + 1);
  return counts;
}
