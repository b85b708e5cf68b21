import type { Snapshot, TaskSnapshot } from '@evcam/camera-api';

/**
 * One shutter in a delta file is JSON Lines, one record a line:
 *   {"seq":N,"task":{...}}            a changed task, whole
 *   {"seq":N,"removed_task":"<uuid>"} a task that left the State
 *   {"seq":N,"shutter":{...}}         the rest of the snapshot (counters, workers, changed/removed
 *                                     workers); written last, it commits the shutter
 * Records of a seq without its shutter line (a torn write) are ignored on read.
 */
export interface TaskLine { seq: number; task: TaskSnapshot }
export interface RemovedLine { seq: number; removed_task: string }
export interface ShutterLine { seq: number; shutter: Omit<Snapshot, 'tasks'> }
export type DeltaLine = TaskLine | RemovedLine | ShutterLine;

/** Records per write: a slice of lines (~80 KB) built between two turns of the event loop, small enough for V8's young generation. */
export const LINES_PER_SLICE = 100;

/** The snapshot without its tasks map, and with only the worker halves of changed/removed. */
export function shutterHeader(snapshot: Snapshot): Omit<Snapshot, 'tasks'> {
  const header: Record<string, unknown> = {};
  for (const key of Object.keys(snapshot)) {
    if (key === 'tasks') continue;
    const value = (snapshot as unknown as Record<string, unknown>)[key];
    if (key === 'changed' || key === 'removed') header[key] = { workers: (value as { workers?: string[] } | undefined)?.workers ?? [] };
    else header[key] = value;
  }
  return header as Omit<Snapshot, 'tasks'>;
}

/**
 * The lines of one shutter, in slices of LINES_PER_SLICE records (each slice a string ending
 * in a newline). O(changed + removed + workers): reads only `snapshot.tasks[id]` for changed ids.
 */
export function* deltaSlices(snapshot: Snapshot): Generator<string> {
  const prefix = `{"seq":${snapshot.seq},`;
  let slice = '';
  let n = 0;
  const add = (line: string): string | null => {
    slice += line;
    if (++n < LINES_PER_SLICE) return null;
    const out = slice;
    slice = '';
    n = 0;
    return out;
  };
  for (const id of snapshot.changed.tasks) {
    const task = snapshot.tasks[id];
    if (task === undefined) continue;
    const out = add(`${prefix}"task":${JSON.stringify(task)}}\n`);
    if (out !== null) yield out;
  }
  for (const id of snapshot.removed?.tasks ?? []) {
    const out = add(`${prefix}"removed_task":${JSON.stringify(id)}}\n`);
    if (out !== null) yield out;
  }
  yield `${slice}${prefix}"shutter":${JSON.stringify(shutterHeader(snapshot))}}\n`;
}
