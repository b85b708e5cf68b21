/** Minimal Prometheus text exposition format (version 0.0.4): HELP/TYPE lines, escaped labels. */
export type MetricType = 'counter' | 'gauge' | 'summary';

export type Labels = Record<string, string>;

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Collects metric families in order and renders them once. */
export class PrometheusText {
  private readonly lines: string[] = [];

  /** One family: its samples are [labels, value] pairs (no labels: [{}, value]). */
  family(name: string, type: MetricType, help: string, samples: Iterable<[Labels, number]>, suffix = ''): this {
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    this.samples(name + suffix, samples);
    return this;
  }

  /** Samples of an already declared family (e.g. a summary's _sum and _count). */
  samples(name: string, samples: Iterable<[Labels, number]>): this {
    for (const [labels, value] of samples) {
      const keys = Object.keys(labels);
      const rendered = keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(',')}}`;
      this.lines.push(`${name}${rendered} ${formatValue(value)}`);
    }
    return this;
  }

  one(name: string, type: MetricType, help: string, value: number): this {
    return this.family(name, type, help, [[{}, value]]);
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
