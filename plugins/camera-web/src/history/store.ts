import type { TaskSnapshot } from '@evcam/camera-api';
import type { TaskQuery } from '../task-query.js';

/** Tasks the SQL cameras stored: what search and detail fall back on once the State evicted a task. */
export interface HistoryStore {
  /** Up to `limit` tasks matching the query's filters, after its cursor, in its order. */
  search(query: TaskQuery, limit: number): Promise<TaskSnapshot[]>;
  get(uuid: string): Promise<TaskSnapshot | null>;
  /** A few fields of several tasks (links on the detail page). */
  summaries(uuids: readonly string[]): Promise<Map<string, { name: string | null; state: string }>>;
  /** Ids of the tasks whose parent is `uuid` (children the State no longer lists). */
  children(uuid: string, limit: number): Promise<string[]>;
  close(): Promise<void>;
}
