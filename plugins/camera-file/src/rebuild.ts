import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { EvcamError, ErrorCodes, type Snapshot, type TaskSnapshot } from '@evcam/camera-api';
import type { DeltaLine } from './deltas.js';
import { listGroups, type Group } from './layout.js';

/** A file's text; a gzip member cut short (a crash while compressing) yields what it holds. */
async function readText(path: string): Promise<string> {
  const bytes = await readFile(path);
  return path.endsWith('.gz') ? gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8') : bytes.toString('utf8');
}

const fail = (message: string, cause?: unknown): EvcamError => new EvcamError(ErrorCodes.SNAPSHOT_FILES, message, { cause });

/**
 * The complete shutters of a delta file, in order. The text after the last newline
 * is a torn write and is ignored, as are records whose shutter line never came.
 */
export function parseDeltas(text: string, file = 'deltas'): DeltaLine[][] {
  const shutters: DeltaLine[][] = [];
  let pending: DeltaLine[] = [];
  const end = text.lastIndexOf('\n');
  let start = 0;
  let lineNo = 0;
  while (start <= end) {
    const nl = text.indexOf('\n', start);
    const line = text.slice(start, nl);
    start = nl + 1;
    lineNo++;
    if (line === '') continue;
    let rec: DeltaLine;
    try {
      rec = JSON.parse(line) as DeltaLine;
    } catch (err) {
      throw fail(`${file}: line ${lineNo} is not JSON; the file was changed by something other than the file camera. Move it aside to rebuild from the keyframe before it.`, err);
    }
    pending.push(rec);
    if ('shutter' in rec) {
      shutters.push(pending);
      pending = [];
    }
  }
  return shutters;
}

/** Where a rebuild starts: the newest group whose keyframe is not after `seq`. */
function pickGroup(groups: Group[], seq: number | undefined): Group | undefined {
  if (seq === undefined) return groups[groups.length - 1];
  for (let i = groups.length - 1; i >= 0; i--) if (groups[i].seq <= seq) return groups[i];
  return undefined;
}

/**
 * The whole State (an `evcam.snapshot/1` document) at stored shutter `seq` (default: the
 * newest) from a file camera directory: the keyframe at or before it plus the deltas up to it.
 * `changed` and `removed` are those of that shutter. Seq numbers restart with the kernel:
 * the newest run that stored `seq` is used. Key order of `tasks` is the keyframe's, then
 * tasks in the order they first appeared (JSON key order carries no meaning).
 */
export async function rebuildState(dir: string, seq?: number): Promise<Snapshot> {
  const groups = await listGroups(dir).catch((err: unknown) => { throw fail(`cannot list ${dir}: ${(err as Error).message}; pass the file camera's dir.`, err); });
  const group = pickGroup(groups, seq);
  if (group === undefined) {
    throw fail(groups.length === 0 ? `${dir} holds no keyframe; is it a file camera directory?`
      : `${dir} holds no keyframe at or before seq ${seq} (oldest kept: ${groups[0].seq}); raise the camera's keep to keep more history.`);
  }
  const doc = JSON.parse(await readText(join(dir, group.keyframe))) as Snapshot;
  if (seq === doc.seq) return doc;
  const tasks: Record<string, TaskSnapshot> = { ...doc.tasks };
  let header: Omit<Snapshot, 'tasks'> = doc;
  let changed: string[] = doc.changed?.tasks ?? [];
  let removed: string[] = doc.removed?.tasks ?? [];
  const file = group.deltas[0];
  if (file !== undefined) {
    for (const shutter of parseDeltas(await readText(join(dir, file)), file)) {
      const at = shutter[0].seq;
      if (seq !== undefined && at > seq) break;
      changed = [];
      removed = [];
      for (const rec of shutter) {
        if ('task' in rec) { tasks[rec.task.uuid] = rec.task; changed.push(rec.task.uuid); }
        else if ('removed_task' in rec) { delete tasks[rec.removed_task]; removed.push(rec.removed_task); }
        else header = rec.shutter;
      }
    }
  }
  if (seq !== undefined && header.seq !== seq) {
    throw fail(`${dir} does not hold seq ${seq} (the group from seq ${group.seq} ends at ${header.seq}).`);
  }
  const out = { ...header, tasks } as Snapshot;
  out.changed = { workers: header.changed?.workers ?? [], tasks: changed };
  out.removed = { workers: header.removed?.workers ?? [], tasks: removed };
  return out;
}
