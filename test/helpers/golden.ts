import { readFileSync } from 'node:fs';

export interface Golden {
  event_count: number;
  task_count: number;
  now: number;
  tasks: Record<string, Record<string, unknown>>;
  workers: Record<string, Record<string, unknown>>;
}

export const readJson = <T = unknown>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

export interface FieldDiff { section: 'tasks' | 'workers' | 'counts'; id: string; field: string; ours: unknown; celery: unknown }

/** Field-for-field differences between a snapshot (or latest.json) and a golden. */
export function diffAgainstGolden(ours: Golden, golden: Golden): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  for (const field of ['event_count', 'task_count'] as const) {
    if (ours[field] !== golden[field]) diffs.push({ section: 'counts', id: '-', field, ours: ours[field], celery: golden[field] });
  }
  for (const section of ['tasks', 'workers'] as const) {
    const a = ours[section];
    const b = golden[section];
    for (const id of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(id in a)) { diffs.push({ section, id, field: '(missing in ours)', ours: undefined, celery: 'present' }); continue; }
      if (!(id in b)) { diffs.push({ section, id, field: '(missing in Celery)', ours: 'present', celery: undefined }); continue; }
      for (const field of new Set([...Object.keys(a[id]), ...Object.keys(b[id])])) {
        if (JSON.stringify(a[id][field]) !== JSON.stringify(b[id][field])) {
          diffs.push({ section, id, field, ours: a[id][field], celery: b[id][field] });
        }
      }
    }
  }
  return diffs;
}

/** A readable report: uuid, field, ours, Celery's. */
export function formatDiffs(diffs: FieldDiff[], max = 20): string {
  const rows = diffs.slice(0, max).map((d) => `  ${d.section} ${d.id} ${d.field}: ours=${JSON.stringify(d.ours)?.slice(0, 120)} celery=${JSON.stringify(d.celery)?.slice(0, 120)}`);
  return `${diffs.length} difference(s):\n${rows.join('\n')}${diffs.length > max ? `\n  ... ${diffs.length - max} more` : ''}`;
}
