// The SQLite thread: owns the one better-sqlite3 connection; synchronous work stays off the event loop.
import { parentPort } from 'node:worker_threads';
import { ErrorCodes } from '@evcam/camera-api';
import type { TaskSnapshot, WorkerSnapshot } from '@evcam/camera-api';
import {
  META_KEYS, migrations, SCHEMA_VERSION, TASK_COLUMNS, TASK_TEXT_COLUMNS, TextCleaner, WORKER_COLUMNS, quoteIdent, workerToRow, type Column,
} from '@evcam/history-schema';
import Database from 'better-sqlite3';
import type { CleanupResult, OpenResult, Reply, Request, ShutterResult } from './protocol.js';

class Refusal extends Error {
  constructor(readonly code: string, message: string, readonly stored: number) { super(message); }
}

function upsert(table: string, all: readonly Column[], key: string, keep: readonly string[]): string {
  const names = all.map((c) => quoteIdent(c.name));
  const updates = all.map((c) => c.name).filter((n) => n !== key && !keep.includes(n))
    .map((n) => `${quoteIdent(n)} = excluded.${quoteIdent(n)}`);
  // Positional (better-sqlite3 binds an array about twice as fast as an object by name).
  return `INSERT INTO ${table} (${names.join(', ')}) VALUES (${all.map(() => '?').join(', ')})
ON CONFLICT (${quoteIdent(key)}) DO UPDATE SET ${updates.join(', ')}`;
}

const cleaner = new TextCleaner('sqlite');
const TASK_NAMES = TASK_COLUMNS.map((c) => c.name);
const WORKER_NAMES = WORKER_COLUMNS.map((c) => c.name);
const TASK_TEXT = new Set(TASK_TEXT_COLUMNS);
const [CHILDREN, FIRST_SEEN, LAST_CHANGED, SEQ] = ['children', 'first_seen', 'last_changed', 'seq'].map((n) => TASK_NAMES.indexOf(n)) as [number, number, number, number];

/** A row object's values in column order; booleans as 0/1 (SQLite has none). */
function values(row: object, names: readonly string[]): unknown[] {
  const out = new Array(names.length);
  for (let i = 0; i < names.length; i++) {
    const v = (row as Record<string, unknown>)[names[i]!];
    out[i] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  }
  return out;
}

/** A task's `tasks` values in column order, the same as values(taskToRow(…)), written into `out`. */
function taskValues(task: TaskSnapshot, stamp: { seq: number; takenAt: number }, out: unknown[]): unknown[] {
  const source = task as unknown as Record<string, unknown>;
  for (let i = 0; i < TASK_NAMES.length; i++) {
    const name = TASK_NAMES[i]!;
    out[i] = TASK_TEXT.has(name) ? cleaner.clean(source[name] as string | null) : source[name];
  }
  out[CHILDREN] = task.children.length === 0 ? '[]' : JSON.stringify(task.children.map((id) => cleaner.clean(id)));
  out[FIRST_SEEN] = stamp.takenAt;
  out[LAST_CHANGED] = stamp.takenAt;
  out[SEQ] = stamp.seq;
  return out;
}

let db: Database.Database | null = null;
let prepared: ReturnType<typeof prepare> | null = null;

function prepare(d: Database.Database) {
  return {
    tasks: d.prepare(upsert('tasks', TASK_COLUMNS, 'uuid', ['first_seen'])),
    workers: d.prepare(upsert('workers', WORKER_COLUMNS, 'hostname', [])),
    shutter: d.prepare(`INSERT INTO shutters (taken_at, event_count, task_count, tasks_changed, workers_changed, tasks_removed,
      kernel_seq, stored_at, replaced, epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    replaced: d.prepare('UPDATE shutters SET replaced = ? WHERE seq = ?'),
    readEpoch: d.prepare(`SELECT value FROM meta WHERE key = '${META_KEYS.epoch}'`).pluck(),
    writeEpoch: d.prepare(`INSERT INTO meta (key, value) VALUES ('${META_KEYS.epoch}', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
  };
}

function open(file: string, wal: boolean, busyTimeoutMs: number): OpenResult {
  const d = new Database(file, { timeout: busyTimeoutMs });
  try {
    const journalMode = String(d.pragma(`journal_mode = ${wal ? 'WAL' : 'DELETE'}`, { simple: true }));
    d.pragma('synchronous = NORMAL');
    // One IMMEDIATE transaction: two kernels starting at once migrate one after the other.
    const run = d.transaction(() => {
      const hasMeta = d.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
      const found = hasMeta ? d.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(META_KEYS.schemaVersion) as string | undefined : undefined;
      const from = found === undefined ? 0 : Number(found);
      if (from > SCHEMA_VERSION) {
        throw new Refusal(ErrorCodes.HISTORY_SCHEMA_NEWER, `schema version ${from} is newer than ${SCHEMA_VERSION}`, from);
      }
      for (const m of migrations('sqlite')) {
        if (m.version <= from) continue;
        for (const statement of m.statements) d.exec(statement);
      }
      if (from < SCHEMA_VERSION) {
        d.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
          .run(META_KEYS.schemaVersion, String(SCHEMA_VERSION));
      }
      return from;
    });
    const from = run.immediate();
    db = d;
    prepared = prepare(d);
    return { from, to: SCHEMA_VERSION, journalMode };
  } catch (err) {
    d.close();
    throw err;
  }
}

function shutter(req: Extract<Request, { op: 'shutter' }>): ShutterResult {
  const d = db!;
  const p = prepared!;
  const write = d.transaction(() => {
    if (req.epoch !== null) {
      const stored = p.readEpoch.get() as string | undefined;
      if (stored !== undefined && Number(stored) > req.epoch) {
        throw new Refusal(ErrorCodes.HISTORY_FENCED, `epoch ${req.epoch} < stored ${stored}`, Number(stored));
      }
      p.writeEpoch.run(String(req.epoch));
    }
    const seq = Number(p.shutter.run(...req.shutter, 0, req.epoch).lastInsertRowid);
    const stamp = { seq, takenAt: req.shutter[0] };
    cleaner.take();
    // One reused bind array (better-sqlite3 copies the values at run): no row object per task.
    const bind = new Array<unknown>(TASK_NAMES.length);
    for (const task of JSON.parse(req.tasks) as TaskSnapshot[]) p.tasks.run(taskValues(task, stamp, bind));
    for (const worker of JSON.parse(req.workers) as WorkerSnapshot[]) p.workers.run(values(workerToRow(worker, stamp, cleaner), WORKER_NAMES));
    const replaced = cleaner.take();
    if (replaced > 0) p.replaced.run(replaced, seq);
    return { seq, replaced };
  });
  return write.immediate();
}

function cleanup(req: Extract<Request, { op: 'cleanup' }>): CleanupResult {
  const d = db!;
  let deleted = 0;
  const placeholders = req.named.map(() => '?').join(', ');
  const one = d.prepare('DELETE FROM tasks WHERE rowid IN (SELECT rowid FROM tasks WHERE state = ? AND last_changed < ? LIMIT ?)');
  const others = d.prepare(`DELETE FROM tasks WHERE rowid IN (SELECT rowid FROM tasks WHERE ${req.named.length ? `state NOT IN (${placeholders}) AND ` : ''}last_changed < ? LIMIT ?)`);
  for (const rule of req.rules) {
    // Each batch commits on its own: the write lock is held for one batch only.
    for (;;) {
      const n = rule.states === null ? others.run(...req.named, rule.before, req.batch).changes : one.run(rule.states[0], rule.before, req.batch).changes;
      deleted += n;
      if (n < req.batch) break;
    }
  }
  if (req.shuttersBefore !== null) {
    const s = d.prepare('DELETE FROM shutters WHERE seq IN (SELECT seq FROM shutters WHERE taken_at < ? LIMIT ?)');
    while (s.run(req.shuttersBefore, req.batch).changes >= req.batch);
  }
  return { deleted };
}

function handle(req: Request): unknown {
  switch (req.op) {
    case 'open': return open(req.file, req.wal, req.busyTimeoutMs);
    case 'shutter': return shutter(req);
    case 'cleanup': return cleanup(req);
    case 'close': db?.close(); db = null; prepared = null; return undefined;
  }
}

parentPort!.on('message', ({ id, req }: { id: number; req: Request }) => {
  let reply: Reply;
  try {
    reply = { id, ok: true, result: handle(req) };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    reply = { id, ok: false, error: { code: String(e.code ?? 'ERROR'), message: String(e.message ?? err), stored: err instanceof Refusal ? err.stored : undefined } };
  }
  parentPort!.postMessage(reply);
  if (req.op === 'close') parentPort!.close();
});
