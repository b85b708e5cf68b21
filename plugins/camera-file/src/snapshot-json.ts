import type { Snapshot } from '@evcam/camera-api';

/** Records serialised per slice before the event loop gets a turn: about 1–2 ms of work. */
const ENTRIES_PER_SLICE = 500;
/** The members that grow with the cluster (10k tasks ≈ 9 MB of JSON at the default limit). */
const SLICED = new Set(['tasks', 'workers']);

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** `"key":<json>` as JSON.stringify writes an object member, or null where it would leave it out. */
function member(key: string, value: unknown): string | null {
  const json = JSON.stringify(value);
  return json === undefined ? null : `${JSON.stringify(key)}:${json}`;
}

/**
 * JSON.stringify(snapshot), byte for byte, without stalling ingestion: one
 * JSON.stringify of a 10k-task snapshot blocks the event loop for 30–70 ms, so
 * the tasks and workers are serialised in slices with a turn of the event loop
 * between them. The snapshot is never mutated after it was taken, so the slices
 * see one consistent cut. Returns the text in pieces (one per slice), ready for
 * writeFile or a join.
 */
export async function snapshotJsonPieces(snapshot: Snapshot): Promise<string[]> {
  const pieces: string[] = [];
  let head = '{';
  let first = true;
  for (const key of Object.keys(snapshot)) {
    const value = (snapshot as unknown as Record<string, unknown>)[key];
    if (!SLICED.has(key) || value === null || typeof value !== 'object' || Array.isArray(value)) {
      const text = member(key, value);
      if (text === null) continue;
      head += (first ? '' : ',') + text;
      first = false;
      continue;
    }
    head += `${first ? '' : ','}${JSON.stringify(key)}:{`;
    first = false;
    const record = value as Record<string, unknown>;
    let slice: string[] = [];
    let emptySoFar = true;
    for (const id of Object.keys(record)) {
      const text = member(id, record[id]);
      if (text !== null) slice.push(text);
      if (slice.length >= ENTRIES_PER_SLICE) {
        pieces.push(head + (emptySoFar ? '' : ',') + slice.join(','));
        head = '';
        emptySoFar = false;
        slice = [];
        await nextTurn();
      }
    }
    head += (slice.length === 0 || emptySoFar ? '' : ',') + slice.join(',') + '}';
  }
  pieces.push(`${head}}`);
  return pieces;
}
