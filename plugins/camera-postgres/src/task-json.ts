import type { TaskSnapshot } from '@evcam/camera-api';
import { TASK_TEXT_COLUMNS, type TextCleaner } from '@evcam/history-schema';

/**
 * JSON.stringify writes NUL as \u0000 and a lone surrogate as \udXXX (well-formed
 * stringify): the only values PostgreSQL refuses. A literal backslash before "u0000" may
 * match too; that only sends the shutter down the (equally correct) cleaning path.
 */
const SUSPECT_ESCAPE = /\\u(?:0000|d[89a-f])/;

/**
 * The changed tasks as the JSON array the upsert reads ($1): the snapshot's objects
 * serialised once, without building a row object per task (json_to_recordset picks the
 * columns by name and ignores `root`/`parent`). Only when the text holds something
 * PostgreSQL cannot store are the tasks cleaned (text.ts) and serialised again.
 */
export function tasksJson(tasks: readonly TaskSnapshot[], cleaner: TextCleaner): string {
  const json = JSON.stringify(tasks);
  if (!SUSPECT_ESCAPE.test(json)) return json;
  return JSON.stringify(tasks.map((task) => cleanTask(task, cleaner)));
}

function cleanTask(task: TaskSnapshot, cleaner: TextCleaner): TaskSnapshot {
  const copy: Record<string, unknown> = { ...task };
  for (const name of TASK_TEXT_COLUMNS) copy[name] = cleaner.clean(copy[name] as string | null);
  copy.children = task.children.map((id) => cleaner.clean(id));
  return copy as unknown as TaskSnapshot;
}
