import type { Cancel, Clock, Timer } from '@evcam/camera-api';

/** Wall-clock time in epoch seconds, like Python's time.time(). */
export class SystemClock implements Clock {
  now(): number {
    return Date.now() / 1000;
  }
}

/**
 * A Timer on Node's event loop. Repeating calls are scheduled against the start
 * time (no drift); runs that would come late are not piled up.
 */
export class SystemTimer implements Timer {
  constructor(private readonly clock: Clock = new SystemClock()) {}

  callRepeatedly(secs: number, fn: () => void): Cancel {
    let next = this.clock.now() + secs;
    let handle: NodeJS.Timeout | undefined;
    let cancelled = false;
    const tick = (): void => {
      if (cancelled) return;
      const now = this.clock.now();
      while (next <= now) next += secs;
      handle = setTimeout(run, Math.max(0, (next - now) * 1000));
      handle.unref?.();
    };
    const run = (): void => {
      if (cancelled) return;
      try {
        fn();
      } finally {
        tick();
      }
    };
    handle = setTimeout(run, secs * 1000);
    handle.unref?.();
    return () => { cancelled = true; clearTimeout(handle); };
  }

  callLater(secs: number, fn: () => void): Cancel {
    const handle = setTimeout(fn, Math.max(0, secs * 1000));
    return () => clearTimeout(handle);
  }
}

interface FakeEntry { due: number; seq: number; fn: () => void; every: number | null; cancelled: boolean }

/**
 * A Clock and Timer in one that only moves when told to: tests advance it and
 * every timer due in between fires, in order.
 */
export class FakeClock implements Clock, Timer {
  private current: number;
  private entries: FakeEntry[] = [];
  private seq = 0;

  constructor(start = 1_700_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  callRepeatedly(secs: number, fn: () => void): Cancel {
    return this.add(secs, fn, secs);
  }

  callLater(secs: number, fn: () => void): Cancel {
    return this.add(secs, fn, null);
  }

  private add(secs: number, fn: () => void, every: number | null): Cancel {
    const entry: FakeEntry = { due: this.current + secs, seq: this.seq++, fn, every, cancelled: false };
    this.entries.push(entry);
    return () => { entry.cancelled = true; };
  }

  /** Move time forward by `secs`, firing due timers; awaits microtasks between them. */
  async advance(secs: number): Promise<void> {
    const until = this.current + secs;
    for (;;) {
      this.entries = this.entries.filter((e) => !e.cancelled);
      let next: FakeEntry | undefined;
      for (const e of this.entries) {
        if (e.due <= until && (next === undefined || e.due < next.due || (e.due === next.due && e.seq < next.seq))) next = e;
      }
      if (next === undefined) break;
      this.current = Math.max(this.current, next.due);
      if (next.every !== null) next.due += next.every;
      else next.cancelled = true;
      next.fn();
      await flushMicrotasks();
    }
    this.current = until;
    await flushMicrotasks();
  }

  /** Timers still scheduled (for assertions). */
  get scheduled(): number {
    return this.entries.filter((e) => !e.cancelled).length;
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}
