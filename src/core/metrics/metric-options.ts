import { AgentLoggingConfigError } from '../errors.js';
import { PriceTable, priceTableProblem, type Prices } from '../pricing/price-table.js';
import { bucketsProblem } from './buckets.js';
import { DEFAULT_MAX_LABEL_VALUES } from './metric-view.js';

/** Options both metrics integrations take. */
export interface CommonMetricsOptions {
  /** Distinct values kept per label (agent, tool, model, stop reason); later ones count as `other`. Default 50. */
  maxLabelValues?: number;
  /** Prices for the cost counter, USD per million tokens. Default: the module's `prices`; without either, no cost. */
  prices?: Prices;
  /** Histogram boundaries in seconds, for runs and for tool and model calls. Defaults: docs/metrics.md. */
  buckets?: { run?: number[]; call?: number[] };
}

/** The common options checked, with defaults: a bad one fails where the integration is made. */
export function checkMetricsOptions(integration: string, options: CommonMetricsOptions, known: readonly string[]) {
  const fail = (message: string): never => {
    throw new AgentLoggingConfigError(`${integration}: ${message}`);
  };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) fail('options must be an object');
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) fail(`unknown option "${key}" (known: ${known.join(', ')})`);
  }
  const max = options.maxLabelValues ?? DEFAULT_MAX_LABEL_VALUES;
  if (!Number.isSafeInteger(max) || max < 1 || max > 10_000) fail(`option "maxLabelValues" must be an integer from 1 to 10000, got ${String(max)}`);
  let prices: PriceTable | undefined;
  if (options.prices !== undefined) {
    const problem = priceTableProblem(options.prices);
    if (problem) fail(`option "prices" must be a price table (${problem})`);
    prices = new PriceTable(options.prices);
  }
  const buckets = options.buckets ?? {};
  if (typeof buckets !== 'object' || buckets === null) fail('option "buckets" must be an object { run?, call? }');
  for (const [key, value] of Object.entries(buckets)) {
    if (key !== 'run' && key !== 'call') fail(`option "buckets" has an unknown key "${key}" (known: run, call)`);
    const problem = value === undefined ? undefined : bucketsProblem(value);
    if (problem) fail(`option "buckets.${key}" must be ${problem}`);
  }
  return { maxLabelValues: max, prices, runBuckets: buckets.run, callBuckets: buckets.call };
}
