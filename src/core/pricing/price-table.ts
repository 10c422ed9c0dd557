import type { TokenUsage } from '../events/agent-event.js';

/** USD per million tokens for one model. Cache prices default to the input price. */
export interface ModelPrice {
  input: number;
  output: number;
  cache_read?: number;
  cache_write?: number;
}

/** Prices by model name: `{ "gpt-4o-mini": { "input": 0.15, "output": 0.6, "cache_read": 0.075 } }`. */
export type Prices = Record<string, ModelPrice>;

const KEYS = new Set(['input', 'output', 'cache_read', 'cache_write']);

/**
 * What is wrong with a price table, or undefined when it is usable. One
 * format for the inspector's `--prices` file, the budget guard's `prices`
 * option and the metrics' cost counter.
 */
export function priceTableProblem(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return 'expected an object of model names, e.g. {"gpt-4o-mini": {"input": 0.15, "output": 0.6}}';
  }
  for (const [model, price] of Object.entries(raw as Record<string, unknown>)) {
    const fields = price !== null && typeof price === 'object' ? Object.entries(price as Record<string, unknown>) : [];
    const bad = fields.find(([k, v]) => !KEYS.has(k) || typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v));
    const p = price as Partial<ModelPrice>;
    if (fields.length === 0 || bad || p.input === undefined || p.output === undefined) {
      return `model ${JSON.stringify(model).slice(0, 80)} needs numbers "input" and "output" (USD per million tokens), optionally "cache_read" and "cache_write"`;
    }
  }
  return undefined;
}

/**
 * Prices per model. A model is priced by its exact name, else by the longest
 * key it starts with (`gpt-4o-mini-2024-07-18` takes `gpt-4o-mini`'s price).
 * Check the table with `priceTableProblem` first.
 */
export class PriceTable {
  private readonly cache = new Map<string, ModelPrice | undefined>();
  private readonly prices: Prices;

  constructor(prices: Prices) {
    // A copy: a table changed after it was given must not change costs already being counted.
    this.prices = Object.fromEntries(Object.entries(prices).map(([model, price]) => [model, { ...price }]));
  }

  /** The cost in USD of one model call (of the counts it reported), or undefined when the model has no price. */
  cost(model: string | undefined, usage: TokenUsage): number | undefined {
    if (model === undefined) return undefined;
    const price = this.priceOf(model);
    if (!price) return undefined;
    // input_tokens already counts cache reads and writes (the OpenTelemetry GenAI rule): price each part once.
    const cacheRead = usage.cache_read_tokens ?? 0;
    const cacheWrite = usage.cache_creation_tokens ?? 0;
    const plainInput = Math.max(0, (usage.input_tokens ?? 0) - cacheRead - cacheWrite);
    const micro =
      plainInput * price.input +
      cacheRead * (price.cache_read ?? price.input) +
      cacheWrite * (price.cache_write ?? price.input) +
      (usage.output_tokens ?? 0) * price.output;
    return micro / 1e6;
  }

  private priceOf(model: string): ModelPrice | undefined {
    if (this.cache.has(model)) return this.cache.get(model);
    let best: string | undefined;
    for (const key of Object.keys(this.prices)) {
      if (model.startsWith(key) && (best === undefined || key.length > best.length)) best = key;
    }
    const price = best === undefined ? undefined : this.prices[best];
    if (this.cache.size < 10_000) this.cache.set(model, price);
    return price;
  }
}
