import { taskIds, type Snapshot } from '@evcam/camera-api';

/**
 * Records serialised per slice before the event loop gets a turn: well under 1 ms of work,
 * and a slice (~90 KB) small enough for V8's young generation, so it dies young instead of
 * piling up in large-object space until the next full collection.
 */
const ENTRIES_PER_SLICE = 100;
/** The members that grow with the cluster (10k tasks ≈ 9 MB of JSON at the default limit). */
const SLICED = new Set(['tasks', 'workers']);

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** `"key":<json>` as JSON.stringify writes an object member, or null where it would leave it out. */
function member(key: string, value: unknown): string | null {
  const json = JSON.stringify(value);
  return json === undefined ? null : `${JSON.stringify(key)}:${json}`;
}

/**
 * JSON.stringify(snapshot), byte for byte, without stalling ingestion or
 * holding the whole document: one JSON.stringify of a 10k-task snapshot blocks
 * the event loop for 30–70 ms and builds ~9 MB of text at once, so tasks and
 * workers are serialised in slices of ENTRIES_PER_SLICE records, yielded one
 * by one (write each before asking for the next), with a turn of the event
 * loop between them. The snapshot is never mutated after it was taken, so the
 * slices see one consistent cut.
 */
export async function* snapshotJsonSlices(snapshot: Snapshot): AsyncGenerator<string> {
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
    // One native JSON.stringify per slice of records (a small object, braces stripped), not one per record.
    let slice: Record<string, unknown> = {};
    let inSlice = 0;
    let emptySoFar = true;
    const flush = (): string => {
      const json = JSON.stringify(slice);
      slice = {};
      inSlice = 0;
      return json.length > 2 ? json.slice(1, -1) : '';
    };
    for (const id of key === 'tasks' ? taskIds(record as Snapshot['tasks']) : Object.keys(record)) {
      slice[id] = record[id];
      if (++inSlice >= ENTRIES_PER_SLICE) {
        const text = flush();
        yield head + (emptySoFar || text === '' ? '' : ',') + text;
        head = '';
        if (text !== '') emptySoFar = false;
        await nextTurn();
      }
    }
    const rest = flush();
    head += (rest === '' || emptySoFar ? '' : ',') + rest + '}';
  }
  yield `${head}}`;
}
