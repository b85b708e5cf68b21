import { Worker } from 'node:worker_threads';
import { ErrorCodes } from '@evcam/camera-api';
import type { Reply, Request, ThreadError } from './protocol.js';

/** A request/reply channel to the SQLite thread; a thread that died fails what it had pending (retryably). */
export class ThreadClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: ThreadError) => void }>();
  private exited: ThreadError | null = null;

  constructor() {
    this.worker = new Worker(new URL('./thread.js', import.meta.url));
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.result);
      else waiter.reject(reply.error);
    });
    const fail = (error: ThreadError): void => {
      this.exited = error;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (err) => fail({ code: ErrorCodes.DB_UNAVAILABLE, message: `the SQLite thread failed: ${err.message}` }));
    this.worker.on('exit', (code) => fail({ code: ErrorCodes.DB_UNAVAILABLE, message: `the SQLite thread exited (${code})` }));
  }

  get alive(): boolean {
    return this.exited === null;
  }

  call<T>(req: Request): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.ref();
      this.worker.postMessage({ id, req });
    }).finally(() => { if (this.pending.size === 0) this.worker.unref(); });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    await this.call({ op: 'close' }).catch(() => {});
    await this.worker.terminate();
  }
}
