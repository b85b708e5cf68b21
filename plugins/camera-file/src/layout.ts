import { readdir } from 'node:fs/promises';
import type { Snapshot } from '@evcam/camera-api';

/**
 * The directory holds groups: a keyframe (a whole snapshot, `<stem>.json[.gz]`)
 * and the deltas of the shutters after it (`<stem>.deltas.jsonl[.gz]`), where
 * stem is `<ISO time>-<seq>` of the keyframe, so names sort by time across
 * restarts. Names come from numbers only, never from event content.
 */
const KEYFRAME = /^(\d{4}-\d{2}-\d{2}T[0-9.-]+Z-(\d{12}))\.json(\.gz)?$/;
const DELTAS = /^(\d{4}-\d{2}-\d{2}T[0-9.-]+Z-\d{12})\.deltas\.jsonl(\.gz)?$/;

export function stemOf(snapshot: Pick<Snapshot, 'taken_at' | 'seq'>): string {
  const iso = new Date(snapshot.taken_at * 1000).toISOString().replace(/:/g, '-');
  return `${iso}-${String(snapshot.seq).padStart(12, '0')}`;
}

/** The keyframe (history file) name of a snapshot. */
export function historyName(snapshot: Pick<Snapshot, 'taken_at' | 'seq'>, gzipped: boolean): string {
  return `${stemOf(snapshot)}.json${gzipped ? '.gz' : ''}`;
}

export const deltasName = (stem: string, gzipped: boolean): string => `${stem}.deltas.jsonl${gzipped ? '.gz' : ''}`;

export interface Group {
  stem: string;
  /** Seq of the keyframe. */
  seq: number;
  keyframe: string;
  /** Delta files of this keyframe (plain while being written, .gz once closed when gzip is on). */
  deltas: string[];
}

/** Every complete group in `dir`, oldest first. */
export async function listGroups(dir: string): Promise<Group[]> {
  const files = await readdir(dir);
  const groups = new Map<string, Group>();
  for (const f of files) {
    const m = KEYFRAME.exec(f);
    if (m !== null) groups.set(m[1], { stem: m[1], seq: Number(m[2]), keyframe: f, deltas: [] });
  }
  for (const f of files) {
    const m = DELTAS.exec(f);
    if (m !== null) groups.get(m[1])?.deltas.push(f);
  }
  for (const g of groups.values()) g.deltas.sort(); // plain before .gz: a half-gzipped pair reads the plain one
  return [...groups.values()].sort((a, b) => (a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : 0));
}

/** Files of groups that are neither keyframes nor deltas of a known keyframe (orphaned deltas). */
export async function orphanDeltas(dir: string): Promise<string[]> {
  const files = await readdir(dir);
  const stems = new Set(files.map((f) => KEYFRAME.exec(f)?.[1]).filter((s): s is string => s !== undefined));
  return files.filter((f) => { const m = DELTAS.exec(f); return m !== null && !stems.has(m[1]); });
}
