import type { Metric } from 'prom-client';
import type { HistogramFamily, ValueFamily } from '../core/metrics/metric-families.js';

/** One sample as prom-client's registry formats it (what its own metrics' `get()` returns). */
interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/**
 * A metric whose cells are counted by this package and read by prom-client's
 * registry when it is scraped: the registry asks every registered metric for
 * `get()` and formats what it returns, as it does for its own Counter and
 * Histogram, so default labels, the OpenMetrics format, cluster aggregation
 * and `@willsoto/nestjs-prometheus`'s /metrics all apply. Counting in our own
 * cells keeps a tool call's metrics under a microsecond; prom-client's own
 * classes hash a labels object on every observation.
 */
export class FamilyCollector {
  readonly aggregator = 'sum';

  constructor(
    /** Writable: the registry renames counters for the OpenMetrics format. */
    public name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    private readonly samples: () => Sample[],
    private readonly clear: () => void,
  ) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.samples() };
  }

  /** `registry.resetMetrics()`, as prom-client's own metrics do. */
  reset(): void {
    this.clear();
  }

  /** For `registry.registerMetric`, whose type names prom-client's classes only. */
  asMetric(): Metric {
    return this as unknown as Metric;
  }
}

export function valueCollector(name: string, help: string, type: 'counter' | 'gauge', family: ValueFamily): FamilyCollector {
  return new FamilyCollector(
    name,
    help,
    type,
    () => family.cells.map((cell) => ({ value: cell.value, labels: family.labelsOf(cell) })),
    () => family.clear(),
  );
}

export function histogramCollector(name: string, help: string, family: HistogramFamily): FamilyCollector {
  return new FamilyCollector(
    name,
    help,
    'histogram',
    () => {
      const samples: Sample[] = [];
      const bounds = family.bounds;
      for (const cell of family.cells) {
        const labels = family.labelsOf(cell);
        let cumulative = 0;
        for (let i = 0; i <= bounds.length; i++) {
          cumulative += cell.counts[i];
          samples.push({ value: cumulative, labels: { ...labels, le: i < bounds.length ? bounds[i] : '+Inf' }, metricName: `${name}_bucket` });
        }
        samples.push({ value: cell.sum, labels, metricName: `${name}_sum` });
        samples.push({ value: cell.count, labels, metricName: `${name}_count` });
      }
      return samples;
    },
    () => family.clear(),
  );
}

