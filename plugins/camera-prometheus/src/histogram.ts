/** A Prometheus histogram child: fixed upper bounds, per-bucket (non-cumulative) counts, sum. */
export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) { // first bound >= value (le is inclusive)
      const mid = (lo + hi) >>> 1;
      if (bounds[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo]++;
    this.sum += value;
    this.count++;
  }
}

/** Bucket bounds as the text format writes them in `le`, with +Inf last. */
export function leLabels(bounds: readonly number[]): string[] {
  return [...bounds.map((b) => formatNumber(b)), '+Inf'];
}

/** A sample value as the text format writes it. */
export function formatNumber(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (value !== value) return 'NaN';
  return String(value);
}
