/**
 * Pre-aggregated metric cells, counted on the hot path with a few Map lookups
 * and an addition, and read by an exporter when it collects. prom-client and
 * the OpenTelemetry SDK hash a labels object on every observation (a
 * microsecond or more each, several per tool call: more than the whole budget
 * of a tool call's metrics). Label values reach here already capped.
 */

/** One combination of label values. */
export interface Cell {
  /** Values in the order of the family's label names. */
  readonly labels: readonly string[];
}

type Level<C> = Map<string, C | Level<C>>;

function down<C>(level: Level<C>, key: string): Level<C> {
  let next = level.get(key) as Level<C> | undefined;
  if (next === undefined) level.set(key, (next = new Map()));
  return next;
}

/**
 * The cells of one metric, one per combination of label values seen, found
 * through one Map per label: the values are the engine's own strings (a
 * spec's tool name, a status literal), whose hashes V8 keeps, where a key
 * joined from them would be a new string to flatten and hash on every call.
 */
export class Family<C extends Cell> {
  /** Every cell, in the order first seen, for the exporters. */
  readonly cells: C[] = [];
  private readonly root: Level<C> = new Map();

  constructor(
    readonly labelNames: readonly string[],
    private readonly make: (labels: readonly string[]) => C,
  ) {}

  /** The cell of these label values (exactly as many as the family has names), made on first use. */
  cell(a: string, b?: string, c?: string, d?: string): C {
    let level = this.root;
    let last = a;
    if (b !== undefined) {
      level = down(level, a);
      last = b;
      if (c !== undefined) {
        level = down(level, b);
        last = c;
        if (d !== undefined) {
          level = down(level, c);
          last = d;
        }
      }
    }
    let cell = level.get(last) as C | undefined;
    if (cell === undefined) {
      cell = this.make(d !== undefined ? [a, b!, c!, d] : c !== undefined ? [a, b!, c] : b !== undefined ? [a, b] : [a]);
      level.set(last, cell);
      this.cells.push(cell);
    }
    return cell;
  }

  /** Forgets every cell (prom-client's `registry.resetMetrics()`). */
  clear(): void {
    this.cells.length = 0;
    this.root.clear();
  }

  /** The label values of a cell as an object, for an exporter. */
  labelsOf(cell: Cell): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < this.labelNames.length; i++) out[this.labelNames[i]] = cell.labels[i];
    return out;
  }
}

export interface ValueCell extends Cell {
  value: number;
}

/** A counter (only ever added to) or a gauge (added to and taken from). */
export class ValueFamily extends Family<ValueCell> {
  constructor(labelNames: readonly string[]) {
    super(labelNames, (labels) => ({ labels, value: 0 }));
  }
}

export interface HistogramCell extends Cell {
  /** Observations per bucket, not cumulative; the last one is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export class HistogramFamily extends Family<HistogramCell> {
  constructor(
    labelNames: readonly string[],
    /** Upper bounds, increasing. */
    readonly bounds: readonly number[],
  ) {
    super(labelNames, (labels) => ({ labels, counts: new Float64Array(bounds.length + 1), sum: 0, count: 0 }));
  }

  /** Counts `value` in the bucket of the first bound at or above it (Prometheus's `le`). */
  observe(cell: HistogramCell, value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    cell.counts[i] += 1;
    cell.sum += value;
    cell.count += 1;
  }
}
