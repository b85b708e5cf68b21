import { quoteIdent, TASK_COLUMNS, WORKER_COLUMNS, type Column, type ColumnKind, type TableNames } from '@evcam/history-schema';

const RECORD_TYPE: Record<ColumnKind, string> = {
  text: 'text', double: 'float8', integer: 'int8', json: 'text', boolean: 'bool',
};

/** Columns every row of one shutter shares: sent once as $3 (taken_at) rather than per row. */
const STAMPED = new Set(['first_seen', 'last_changed']);

/**
 * A bulk upsert of any number of rows in one statement: the rows travel as one JSON array
 * ($1, parsed by the server's json_to_recordset: floats through float8in, so exactly), `seq`
 * and the shutter's taken_at (first_seen, last_changed) as scalars ($2, $3). Cheaper on both
 * ends than one array parameter per column. `nestedJson`: JSON columns arrive as nested JSON
 * values (tasks: the snapshot's own `children` array) rather than as JSON text (workers' rows).
 */
export interface BulkUpsert {
  sql: string;
}

function bulkUpsert(table: string, all: readonly Column[], key: string, keepOnConflict: readonly string[], nestedJson: boolean): BulkUpsert {
  const cols = all.filter((c) => c.name !== 'seq');
  const fromRecord = cols.filter((c) => !STAMPED.has(c.name));
  const names = cols.map((c) => quoteIdent(c.name));
  const record = fromRecord.map((c) => `${quoteIdent(c.name)} ${c.kind === 'json' && nestedJson ? 'jsonb' : RECORD_TYPE[c.kind]}`);
  const select = cols.map((c) => {
    if (STAMPED.has(c.name)) return '$3::float8';
    return c.kind === 'json' && !nestedJson ? `r.${quoteIdent(c.name)}::jsonb` : `r.${quoteIdent(c.name)}`;
  });
  const updates = [...cols.map((c) => c.name), 'seq']
    .filter((n) => n !== key && !keepOnConflict.includes(n))
    .map((n) => `${quoteIdent(n)} = EXCLUDED.${quoteIdent(n)}`);
  return {
    sql: `INSERT INTO ${table} (${names.join(', ')}, "seq")
SELECT ${select.join(', ')}, $2::bigint FROM json_to_recordset($1::json) AS r(${record.join(', ')})
ON CONFLICT (${quoteIdent(key)}) DO UPDATE SET ${updates.join(', ')}`,
  };
}

export interface Statements {
  upsertTasks: BulkUpsert;
  upsertWorkers: BulkUpsert;
  insertShutter: string;
  /** Raise meta.epoch to $1 unless a higher one is stored; returns a row only when allowed. */
  fence: string;
  readEpoch: string;
  /** Retention: one batch of one state (or of every state not in $1 when `others`). */
  deleteState: string;
  deleteOthers: string;
  deleteShutters: string;
}

export function statements(t: TableNames): Statements {
  return {
    upsertTasks: bulkUpsert(t.tasks, TASK_COLUMNS, 'uuid', ['first_seen'], true),
    upsertWorkers: bulkUpsert(t.workers, WORKER_COLUMNS, 'hostname', [], false),
    insertShutter: `INSERT INTO ${t.shutters} (taken_at, event_count, task_count, tasks_changed, workers_changed, tasks_removed, epoch, kernel_seq, stored_at, replaced)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq`,
    fence: `INSERT INTO ${t.meta} (key, value) VALUES ('epoch', $1::text)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value WHERE ${t.meta}.value::bigint <= EXCLUDED.value::bigint
RETURNING value`,
    readEpoch: `SELECT value FROM ${t.meta} WHERE key = 'epoch'`,
    deleteState: `DELETE FROM ${t.tasks} WHERE uuid IN (SELECT uuid FROM ${t.tasks} WHERE state = $1 AND last_changed < $2 LIMIT $3)`,
    deleteOthers: `DELETE FROM ${t.tasks} WHERE uuid IN (SELECT uuid FROM ${t.tasks} WHERE state <> ALL($1::text[]) AND last_changed < $2 LIMIT $3)`,
    deleteShutters: `DELETE FROM ${t.shutters} WHERE seq IN (SELECT seq FROM ${t.shutters} WHERE taken_at < $1 LIMIT $2)`,
  };
}
