import type { TaskRecord } from './records.js';

/**
 * Tasks in the order they last changed, oldest first, threaded through the
 * records themselves (no allocation per event). A task moves to the tail when
 * it changes, so `touched` never decreases from head to tail and the tasks
 * changed after a cut are a walk back from the tail: O(changed), not O(tasks).
 */
export class TouchList {
  private oldest: TaskRecord | null = null;
  private newest: TaskRecord | null = null;
  size = 0;

  /** `touched` of the least recently changed task (Infinity when empty): a `since` below it means every task changed. */
  get oldestTouched(): number {
    return this.oldest === null ? Infinity : this.oldest.touched;
  }

  /** Put `task` at the tail (it just changed). */
  touch(task: TaskRecord): void {
    if (task === this.newest) return;
    if (task.linked) this.detach(task);
    task.olderTouch = this.newest;
    task.newerTouch = null;
    if (this.newest !== null) this.newest.newerTouch = task;
    else this.oldest = task;
    this.newest = task;
    task.linked = true;
    this.size++;
  }

  /** Take `task` out (it left the State). */
  remove(task: TaskRecord): void {
    if (task.linked) this.detach(task);
  }

  clear(): void {
    for (let t = this.oldest; t !== null;) {
      const next = t.newerTouch;
      t.olderTouch = t.newerTouch = null;
      t.linked = false;
      t = next;
    }
    this.oldest = this.newest = null;
    this.size = 0;
  }

  /**
   * Ids of the tasks touched after `since`, in the State's LRU order (as a full scan
   * of the tasks map would list them): O(changed log changed).
   */
  changedSince(since: number): string[] {
    const changed = this.touchedAfter(since);
    changed.sort((a, b) => a.lru - b.lru);
    const ids = new Array<string>(changed.length);
    for (let i = 0; i < changed.length; i++) ids[i] = changed[i].uuid;
    return ids;
  }

  /** The records touched after `since`, newest first. */
  touchedAfter(since: number): TaskRecord[] {
    const changed: TaskRecord[] = [];
    for (let t = this.newest; t !== null && t.touched > since; t = t.olderTouch) changed.push(t);
    return changed;
  }

  private detach(task: TaskRecord): void {
    const { olderTouch: older, newerTouch: newer } = task;
    if (older !== null) older.newerTouch = newer;
    else this.oldest = newer;
    if (newer !== null) newer.olderTouch = older;
    else this.newest = older;
    task.olderTouch = task.newerTouch = null;
    task.linked = false;
    this.size--;
  }
}
