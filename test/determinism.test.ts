// Folding is deterministic: the same stream gives the same snapshot, however it is
// chunked into messages and whichever path (replay file or in-process) feeds it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { CeleryState, Ingestor, silentLogger } from 'evcam-kernel';
import { fixture } from './helpers/paths.js';

interface Line { recv_ts: number; body: string; properties: { content_type: string; content_encoding: string } }

function fold(lines: Line[], batch: (events: unknown[]) => unknown[][]): string {
  const state = new CeleryState();
  const ingestor = new Ingestor(state, silentLogger, { localUtcoffset: () => 0 });
  for (const line of lines) {
    const body = JSON.parse(line.body) as unknown;
    const events = Array.isArray(body) ? body : [body];
    for (const chunk of batch(events)) {
      ingestor.receive({ body: JSON.stringify(chunk.length === 1 ? chunk[0] : chunk), contentType: 'application/json', contentEncoding: 'utf-8' }, line.recv_ts);
    }
  }
  const last = lines[lines.length - 1].recv_ts;
  const { snapshot } = state.snapshot(0, 1, last);
  return JSON.stringify(snapshot);
}

describe('determinism', () => {
  for (const name of ['rabbitmq-5.2.6.jsonl', 'rabbitmq-5.2.6-shuffled.jsonl']) {
    test(`${name}: the same snapshot twice, and whether events come batched (task.multi) or one per message`, () => {
      const lines = readFileSync(fixture(name), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
      const asSent = fold(lines, (events) => [events]);
      assert.equal(fold(lines, (events) => [events]), asSent);
      assert.equal(fold(lines, (events) => events.map((e) => [e])), asSent);
      const parsed = JSON.parse(asSent) as { event_count: number };
      assert.equal(parsed.event_count, 1020);
    });
  }
});
