/** Per-minute counters over the last `minutes` minutes: a fixed ring, no allocation per count. */
export class MinuteRing {
  private readonly minuteOf: Float64Array;
  private readonly finished: Uint32Array;
  private readonly failed: Uint32Array;

  constructor(readonly minutes = 60) {
    this.minuteOf = new Float64Array(minutes).fill(-1);
    this.finished = new Uint32Array(minutes);
    this.failed = new Uint32Array(minutes);
  }

  /** Count a task that finished at `at` (epoch seconds); `failure` when it ended in FAILURE. */
  add(at: number, failure: boolean, now: number): void {
    const minute = Math.floor(at / 60);
    const current = Math.floor(now / 60);
    if (minute > current || minute <= current - this.minutes) return; // outside the window
    const slot = minute % this.minutes;
    if (this.minuteOf[slot] !== minute) {
      this.minuteOf[slot] = minute;
      this.finished[slot] = 0;
      this.failed[slot] = 0;
    }
    this.finished[slot]++;
    if (failure) this.failed[slot]++;
  }

  /** The window ending at `now`, oldest minute first (epoch seconds of each minute's start). */
  series(now: number): { minute: number[]; finished: number[]; failed: number[]; failureRate: (number | null)[] } {
    const current = Math.floor(now / 60);
    const out = { minute: [] as number[], finished: [] as number[], failed: [] as number[], failureRate: [] as (number | null)[] };
    for (let m = current - this.minutes + 1; m <= current; m++) {
      const slot = ((m % this.minutes) + this.minutes) % this.minutes;
      const live = this.minuteOf[slot] === m;
      const finished = live ? this.finished[slot] : 0;
      const failed = live ? this.failed[slot] : 0;
      out.minute.push(m * 60);
      out.finished.push(finished);
      out.failed.push(failed);
      out.failureRate.push(finished > 0 ? failed / finished : null);
    }
    return out;
  }
}
