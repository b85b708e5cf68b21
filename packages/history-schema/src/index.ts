export {
  TASK_COLUMNS, TASK_COLUMN_NAMES, TASK_TEXT_COLUMNS, WORKER_COLUMNS, WORKER_COLUMN_NAMES, SHUTTER_COLUMNS,
  type Column, type ColumnKind,
} from './columns.js';
export {
  SCHEMA_VERSION, DEFAULT_PG_SCHEMA, META_KEYS, migrations, tableNames, quoteIdent,
  type Migration, type TableNames,
} from './ddl.js';
export { taskToRow, rowToTask, workerToRow, rowToWorker, type TaskRow, type WorkerRow, type RowStamp, type DbRow } from './rows.js';
export { documentedQueries, queryArgs, paramNames, type DocumentedQuery, type QueryId } from './queries.js';
export { TextCleaner, REPLACEMENT_CHARACTER, type Dialect } from './text.js';
export { retentionOption, retentionRules, longestRetention, type Retention, type RetentionRule } from './retention.js';
export { shutterRows, changedTasks, type ShutterRows, type HistoryCameraStats } from './changes.js';
export {
  SEARCH_COLUMNS, FTS_TABLE, MIN_INDEXED_SEARCH, likePattern, usesSearchIndex, ftsPhrase, searchIndexStatements, pgSearchIndexCheck,
} from './search.js';
