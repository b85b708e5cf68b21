import type { Snapshot } from '@evcam/camera-api';

/**
 * Tasks by state, kept from each snapshot's `changed` and `removed` instead of a scan
 * of every task (O(tasks held)). It mirrors the State as the last merged snapshot saw
 * it: `removed` is relative to the last *stored* snapshot, so ids applied from a
 * snapshot that was not stored stay "provisional" and are looked up again (O(1) each)
 * until one is stored; that covers a task that arrived in an unstored snapshot and
 * left before the next stored one (in neither list).
 */
export class StateCounts {
  private readonly stateOf = new Map<string, string>();
  private readonly provisional = new Set<string>();
  readonly byState = new Map<string, number>();

  get total(): number { return this.stateOf.size; }

  /** Bring the counts to `snapshot`'s State. Costs O(changed + removed + provisional). */
  apply(snapshot: Snapshot): void {
    for (const uuid of snapshot.changed.tasks) this.resolve(snapshot, uuid);
    const removed = snapshot.removed?.tasks;
    if (removed !== undefined) for (const uuid of removed) this.resolve(snapshot, uuid);
    for (const uuid of this.provisional) this.resolve(snapshot, uuid);
    for (const uuid of snapshot.changed.tasks) this.provisional.add(uuid);
  }

  /** The last applied snapshot was stored: `removed` of the next one is relative to it. */
  stored(): void {
    this.provisional.clear();
  }

  /** `{ STATE: count }`, states in first-seen order, zero counts left out (as a scan gives). */
  toObject(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [state, n] of this.byState) if (n > 0) out[state] = n;
    return out;
  }

  private resolve(snapshot: Snapshot, uuid: string): void {
    const task = snapshot.tasks[uuid];
    const before = this.stateOf.get(uuid);
    const after = task?.state;
    if (before === after) return;
    if (before !== undefined) this.byState.set(before, this.byState.get(before)! - 1);
    if (after === undefined) { this.stateOf.delete(uuid); return; }
    this.stateOf.set(uuid, after);
    this.byState.set(after, (this.byState.get(after) ?? 0) + 1);
  }
}
