/** Label values: Celery's names mapped to bounded Prometheus label sets. */

/** Escape a label value for the text format (backslash, double quote, newline). */
export function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** celery-exporter's get_hostname: Celery's nodesplit, the part after the first '@' (all of it when there is none). */
export function nodeHost(nodename: string): string {
  const at = nodename.indexOf('@');
  return at < 0 ? nodename : nodename.slice(at + 1);
}

/** Group a node name by a pattern: its first capture group, else the whole match, else the host unchanged. */
export function hostnameGrouper(pattern: string | undefined): (nodename: string) => string {
  if (pattern === undefined) return nodeHost;
  const re = new RegExp(pattern);
  return (nodename) => {
    const host = nodeHost(nodename);
    const m = re.exec(host);
    if (m === null) return host;
    return m[1] ?? m[0];
  };
}

/** celery-exporter's get_exception_class_name: "ValueError('boom')" → "ValueError". */
export function exceptionClass(exception: unknown): string {
  if (typeof exception !== 'string') return 'UnknownException';
  const m = /^(\w+)\(/.exec(exception);
  return m === null ? 'UnknownException' : m[1];
}

/**
 * Interns label values to small integers, up to a cap; beyond it every new value
 * maps to the overflow value ("other"). Lookups of a known value allocate nothing.
 */
export class LabelTable {
  readonly values: string[] = [];
  /** Values pre-escaped for the text format, by index. */
  readonly escaped: string[] = [];
  private readonly index = new Map<string, number>();
  private overflowIndex = -1;
  /** Lookups answered with the overflow value because the cap was reached. */
  overflowCount = 0;
  /** Raw inputs mapped through `map` (e.g. node name → hostname group); bounded. */
  private readonly mapped = new Map<string, number>();

  constructor(
    private readonly cap: number,
    private readonly overflow = 'other',
    private readonly map: ((raw: string) => string) | null = null,
    private readonly maxMapped = 10_000,
  ) {}

  /** The index of a raw value (mapped first when the table maps). */
  get(raw: string): number {
    const idx = this.lookup(raw);
    if (idx === this.overflowIndex) this.overflowCount++;
    return idx;
  }

  private lookup(raw: string): number {
    if (this.map === null) return this.intern(raw);
    const known = this.mapped.get(raw);
    if (known !== undefined) return known;
    const idx = this.intern(this.map(raw));
    if (this.mapped.size >= this.maxMapped) this.mapped.clear(); // pathological churn of node names: recompute later
    this.mapped.set(raw, idx);
    return idx;
  }

  private intern(value: string): number {
    const known = this.index.get(value);
    if (known !== undefined) return known;
    if (this.values.length >= this.cap) {
      if (this.overflowIndex < 0) this.overflowIndex = this.add(this.overflow);
      return this.overflowIndex;
    }
    return this.add(value);
  }

  private add(value: string): number {
    const idx = this.values.length;
    this.values.push(value);
    this.escaped.push(escapeLabel(value));
    this.index.set(value, idx);
    return idx;
  }

  get size(): number {
    return this.values.length;
  }
}
