// What the file camera has stored, read the way a user reads it: the newest keyframe plus the
// JSON Lines deltas after it (latest.json alone is the State only at keyframes and after stop).
import { listGroups, parseDeltas, rebuildState } from '@evcam/camera-file';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The State stored in `dir` now, or null before the camera's first stored shutter (or mid-write of the first keyframe). */
export async function storedState<T>(dir: string): Promise<T | null> {
  try {
    return await rebuildState(dir) as unknown as T;
  } catch {
    return null;
  }
}

/** Every stored version of one task, oldest first: from each keyframe and each delta shutter that wrote it. */
export async function storedTaskVersions<T = { state: string }>(dir: string, uuid: string): Promise<T[]> {
  const versions: T[] = [];
  for (const group of await listGroups(dir)) {
    const keyframe = JSON.parse(readFileSync(join(dir, group.keyframe), 'utf8')) as { tasks: Record<string, T> };
    if (keyframe.tasks[uuid] !== undefined) versions.push(keyframe.tasks[uuid]);
    for (const file of group.deltas.filter((f) => !f.endsWith('.gz'))) {
      for (const shutter of parseDeltas(readFileSync(join(dir, file), 'utf8'), file)) {
        for (const line of shutter) {
          if ('task' in line && line.task.uuid === uuid) versions.push(line.task as unknown as T);
        }
      }
    }
  }
  return versions;
}
