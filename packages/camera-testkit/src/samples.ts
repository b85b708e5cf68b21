import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { TaskSnapshot, WorkerSnapshot } from '@evcam/camera-api';

/** A finished tasks.add as Celery's State exports it; override any field. */
export function sampleTask(uuid: string, fields: Partial<TaskSnapshot> = {}): TaskSnapshot {
  return {
    uuid, name: 'tasks.add', state: 'SUCCESS', received: 1795514297.1, sent: 1795514297.0, started: 1795514297.2,
    rejected: null, succeeded: 1795514297.3146977, failed: null, retried: null, revoked: null,
    args: '(2, 2)', kwargs: '{}', eta: null, expires: null, retries: 0, worker: 'w1@lab', result: '4',
    exception: null, timestamp: 1795514297.3146977, runtime: 0.000038127000152599066, traceback: null,
    exchange: '', routing_key: 'celery', clock: 12, client: 'gen1@vm', root: uuid, root_id: uuid,
    parent: null, parent_id: null, children: [], ...fields,
  };
}

/** An alive prefork worker as Celery's State exports it; override any field. */
export function sampleWorker(hostname: string, fields: Partial<WorkerSnapshot> = {}): WorkerSnapshot {
  return {
    hostname, pid: 8449, freq: 2, heartbeats: [1795514299.5], clock: 40, active: 0, processed: 10,
    loadavg: [0.07, 0.08, 0.03], sw_ident: 'py-celery', sw_ver: '5.2.6', sw_sys: 'Linux', alive: true, ...fields,
  };
}

/**
 * Validate camera options through the Standard Schema interface, as the kernel does,
 * synchronously (for tests); issues become one `path: message; ...` error.
 */
export function parseOptionsWith<T>(schema: StandardSchemaV1<unknown, T>, input: Record<string, unknown>): T {
  const result = schema['~standard'].validate(input);
  if (result instanceof Promise) throw new Error('schema is unexpectedly async');
  if (result.issues) {
    throw new Error(result.issues.map((i) => `${(i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.')}: ${i.message}`).join('; '));
  }
  return result.value;
}
