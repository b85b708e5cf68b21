/** Recent runtimes per task name: a fixed ring per name, a bounded number of names (least recently seen dropped). */
export class RuntimeStats {
  private readonly rings = new Map<string, { values: Float64Array; next: number; size: number }>();

  constructor(private readonly samples = 512, private readonly maxNames = 500) {}

  add(name: string, runtime: number): void {
    let ring = this.rings.get(name);
    if (ring === undefined) {
      if (this.rings.size >= this.maxNames) this.rings.delete(this.rings.keys().next().value!);
      ring = { values: new Float64Array(this.samples), next: 0, size: 0 };
    } else {
      this.rings.delete(name); // re-insert: Map order is recency order
    }
    this.rings.set(name, ring);
    ring.values[ring.next] = runtime;
    ring.next = (ring.next + 1) % this.samples;
    if (ring.size < this.samples) ring.size++;
  }

  /** p50/p95 (nearest rank) per name, busiest first. Computed on request, not per shutter. */
  percentiles(): { name: string; count: number; p50: number; p95: number; max: number }[] {
    const out = [];
    for (const [name, ring] of this.rings) {
      const sorted = ring.values.slice(0, ring.size).sort();
      const rank = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
      out.push({ name, count: ring.size, p50: rank(0.5), p95: rank(0.95), max: sorted[sorted.length - 1] });
    }
    return out.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  }
}
