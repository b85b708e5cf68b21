import { DEFAULT_PG_SCHEMA, tableNames } from './ddl.js';
import type { Dialect } from './text.js';

/**
 * Text search over task history: a case-insensitive substring match, the semantics of
 * `column LIKE likePattern(text) ESCAPE '\'` (ILIKE on PostgreSQL; SQLite's LIKE folds ASCII only).
 * The search text is literal: `%`, `_` and `\` match themselves (likePattern escapes them with `\`).
 *
 * The index only narrows the rows; the LIKE is still applied, so results are the LIKE's exactly:
 * - SQLite: the FTS5 table `tasks_fts` (trigram tokenizer, external content = `tasks`, kept in sync by
 *   triggers). A trigram index cannot answer texts shorter than 3 characters: those use LIKE alone.
 * - PostgreSQL: pg_trgm GIN indexes on each searched column serve ILIKE directly. Without the
 *   extension (it needs CREATE on the database) the same ILIKE runs without an index (slower).
 */

/** The columns the web camera's search covers (the documented textSearch covers args and kwargs). */
export const SEARCH_COLUMNS = ['uuid', 'args', 'kwargs', 'result', 'exception'] as const;

/** The SQLite FTS5 table over SEARCH_COLUMNS. */
export const FTS_TABLE = 'tasks_fts';

/** Fewer characters than this cannot use a trigram index. */
export const MIN_INDEXED_SEARCH = 3;

/** Escape LIKE wildcards so a search text matches itself: pass `likePattern(text)` as the `pattern`. */
export const likePattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Whether a search text is long enough (in characters, not UTF-16 units) for the trigram index. */
export function usesSearchIndex(text: string): boolean {
  let n = 0;
  for (const _ of text) if (++n >= MIN_INDEXED_SEARCH) return true;
  return false;
}

/** An FTS5 MATCH expression for a literal substring: one quoted phrase (a trigram phrase is a substring). */
export const ftsPhrase = (text: string): string => `"${text.replaceAll('"', '""')}"`;

/** The PL/pgSQL body that creates the pg_trgm indexes when the extension is installed (else does nothing). */
function pgTrigramIndexes(schema: string): string {
  const tasks = tableNames('postgres', schema).tasks.replaceAll("'", "''");
  const creates = SEARCH_COLUMNS.map((c) =>
    `    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON ${tasks} USING gin (%I %s)', '${`tasks_${c}_trgm_idx`}', '${c}', ops);`).join('\n');
  return `DO $evcam$
DECLARE ops text;
BEGIN
  SELECT format('%I.gin_trgm_ops', n.nspname) INTO ops
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
  IF ops IS NOT NULL THEN
${creates}
  END IF;
END
$evcam$`;
}

/**
 * Statements that create the text-search index: migration 3 runs them, and the PostgreSQL camera
 * runs them again at each start (idempotent) so the indexes appear once an administrator installs pg_trgm.
 */
export function searchIndexStatements(dialect: Dialect, schema: string = DEFAULT_PG_SCHEMA): string[] {
  if (dialect === 'postgres') {
    return [
      // pg_trgm is a trusted extension: a user with CREATE on the database may install it. Without it
      // (no privilege, not available, or another schema's migration racing to create it) search stays ILIKE.
      `DO $evcam$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'evcam: pg_trgm not installed (%): text search runs without an index', SQLERRM;
END
$evcam$`,
      pgTrigramIndexes(schema),
    ];
  }
  const cols = SEARCH_COLUMNS.join(', ');
  const values = (row: 'new' | 'old') => SEARCH_COLUMNS.map((c) => `${row}.${c}`).join(', ');
  const changed = SEARCH_COLUMNS.map((c) => `old.${c} IS NOT new.${c}`).join(' OR ');
  const t = tableNames('sqlite').tasks;
  return [
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${FTS_TABLE} USING fts5(${cols}, content='${t}', content_rowid='rowid', tokenize='trigram')`,
    `CREATE TRIGGER IF NOT EXISTS ${FTS_TABLE}_insert AFTER INSERT ON ${t} BEGIN
  INSERT INTO ${FTS_TABLE} (rowid, ${cols}) VALUES (new.rowid, ${values('new')});
END`,
    `CREATE TRIGGER IF NOT EXISTS ${FTS_TABLE}_delete AFTER DELETE ON ${t} BEGIN
  INSERT INTO ${FTS_TABLE} (${FTS_TABLE}, rowid, ${cols}) VALUES ('delete', old.rowid, ${values('old')});
END`,
    // Only when a searched text changes: most updates (state, timestamps) leave the index alone.
    `CREATE TRIGGER IF NOT EXISTS ${FTS_TABLE}_update AFTER UPDATE ON ${t} WHEN ${changed} BEGIN
  INSERT INTO ${FTS_TABLE} (${FTS_TABLE}, rowid, ${cols}) VALUES ('delete', old.rowid, ${values('old')});
  INSERT INTO ${FTS_TABLE} (rowid, ${cols}) VALUES (new.rowid, ${values('new')});
END`,
    // Rows written before this migration become searchable.
    `INSERT INTO ${FTS_TABLE} (${FTS_TABLE}) VALUES ('rebuild')`,
  ];
}

/** Whether the PostgreSQL text-search indexes exist in a schema (false: pg_trgm missing, search unindexed). */
export const pgSearchIndexCheck = (schema: string = DEFAULT_PG_SCHEMA): { sql: string; params: [string, string[]] } => ({
  sql: `SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = $1 AND indexname = ANY($2)`,
  params: [schema, SEARCH_COLUMNS.map((c) => `tasks_${c}_trgm_idx`)],
});

