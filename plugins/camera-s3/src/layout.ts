/**
 * Object keys. History lives under `<prefix>YYYY/MM/DD/HH/<seq>-<ISO time>.json[.gz]`
 * so that a plain (lexicographic) S3 listing is time-ordered: the hour folders sort by
 * time, and inside an hour the zero-padded seq, monotonic across restarts, sorts the rest.
 */

/** Wide enough for a shutter per millisecond for 30 years; keeps lexicographic = numeric order. */
export const SEQ_DIGITS = 12;

export const LATEST_NAME = 'latest.json';

export function latestKey(prefix: string): string {
  return `${prefix}${LATEST_NAME}`;
}

export function padSeq(seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, '0');
}

/** `takenAt` is epoch seconds (the snapshot's taken_at); the folders are UTC. */
export function historyKey(prefix: string, seq: number, takenAt: number, gzip: boolean): string {
  const iso = new Date(Math.round(takenAt * 1000)).toISOString();
  const hourFolder = `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}`;
  return `${prefix}${hourFolder}/${padSeq(seq)}-${iso}.json${gzip ? '.gz' : ''}`;
}

const HISTORY_NAME = /^(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/(\d+)-(\d{4}-\d{2}-\d{2}T[\d:.]+Z)\.json(\.gz)?$/;

export interface ParsedHistoryKey {
  seq: number;
  /** Epoch seconds of the snapshot, from the name. */
  takenAt: number;
  /** Epoch seconds at which the key's hour folder starts. */
  hourStart: number;
  gzip: boolean;
}

/** Parse a key written by historyKey(); null for anything else under the prefix (latest.json, foreign objects). */
export function parseHistoryKey(prefix: string, key: string): ParsedHistoryKey | null {
  if (!key.startsWith(prefix)) return null;
  const m = HISTORY_NAME.exec(key.slice(prefix.length));
  if (!m) return null;
  const [, y, mo, d, h, seq, iso, gz] = m;
  const takenAt = Date.parse(iso) / 1000;
  if (!Number.isFinite(takenAt)) return null;
  return { seq: Number(seq), takenAt, hourStart: Date.UTC(+y, +mo - 1, +d, +h) / 1000, gzip: gz !== undefined };
}
