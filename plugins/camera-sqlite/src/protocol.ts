import type { RetentionRule } from '@evcam/history-schema';

/** Messages between the camera (event loop) and its SQLite thread: writes never block ingestion. */
export type Request =
  | { op: 'open'; file: string; wal: boolean; busyTimeoutMs: number }
  /**
   * The changed tasks and workers as the snapshot has them, as JSON text (one string copies far
   * cheaper than a structured clone); the thread maps, cleans and writes them.
   */
  | { op: 'shutter'; shutter: ShutterValues; epoch: number | null; tasks: string; workers: string }
  | { op: 'cleanup'; rules: RetentionRule[]; named: string[]; shuttersBefore: number | null; batch: number }
  | { op: 'close' };

/** The `shutters` row, in column order (seq, epoch and replaced are filled in by the thread). */
export type ShutterValues = [takenAt: number, eventCount: number, taskCount: number, tasksChanged: number,
  workersChanged: number, tasksRemoved: number, kernelSeq: number, storedAt: number];

export type Reply =
  | { id: number; ok: true; result?: unknown }
  | { id: number; ok: false; error: ThreadError };

export interface ThreadError {
  /** better-sqlite3's SQLITE_* code, or an evcam code for refusals decided in the thread. */
  code: string;
  message: string;
  /** For HISTORY_FENCED: the epoch stored; for HISTORY_SCHEMA_NEWER: the version found. */
  stored?: number;
}

export interface OpenResult { from: number; to: number; journalMode: string }
export interface ShutterResult {
  seq: number;
  /** Text values replaced (lone surrogates): see history-schema's TextCleaner. */
  replaced: number;
}
export interface CleanupResult { deleted: number }
