import type { TokenUsage } from '../events/agent-event.js';
import type { PriceTable } from '../pricing/price-table.js';
import { roundUsd } from '../pricing/usd.js';

/** A run's spending limits: `maxTokens` (total tokens), `maxCostUsd` (needs a price table). */
export interface BudgetLimits {
  readonly maxTokens?: number;
  readonly maxCostUsd?: number;
}

/** The limit a run has spent, as the refusal reports it. */
export interface SpentBudget {
  readonly limit: 'maxTokens' | 'maxCostUsd';
  readonly budget: number;
  readonly spent: number;
}

interface Counted {
  tokens: number;
  cost: number;
}

/**
 * What one run has spent, counted as usage is observed: a streamed model call
 * counts its usage so far as each chunk reports it, and its final usage
 * replaces that when it ends, so nothing is counted twice. Tokens are
 * `total_tokens`, what `run_finished.token_usage` sums; cost is priced per
 * model as the inspector prices it, and a model without a price costs nothing.
 */
export class BudgetMeter {
  private tokens = 0;
  private cost = 0;
  /** Steps still running that reported usage: what each has counted so far. */
  private readonly live = new Map<object, Counted>();

  constructor(
    private readonly limits: BudgetLimits,
    private readonly prices: PriceTable | undefined,
  ) {}

  /** Usage a step reported so far (cumulative, as streams report it): replaces what it counted before. */
  observe(step: object, usage: TokenUsage, model: string | undefined): void {
    const counted = this.count(usage, model);
    const before = this.live.get(step);
    if (before) this.add(-before.tokens, -before.cost);
    this.live.set(step, counted);
    this.add(counted.tokens, counted.cost);
  }

  /** A step ended with this usage (or none): it replaces whatever the step counted while running. */
  settle(step: object, usage: TokenUsage | undefined, model: string | undefined): void {
    const before = this.live.get(step);
    if (before) {
      this.live.delete(step);
      this.add(-before.tokens, -before.cost);
    }
    if (usage) {
      const counted = this.count(usage, model);
      this.add(counted.tokens, counted.cost);
    }
  }

  /** The limit reached, if any: a step begun now would take the run past it. */
  spent(): SpentBudget | undefined {
    const { maxTokens, maxCostUsd } = this.limits;
    if (maxTokens !== undefined && this.tokens >= maxTokens) return { limit: 'maxTokens', budget: maxTokens, spent: this.tokens };
    if (maxCostUsd !== undefined && this.cost >= maxCostUsd) return { limit: 'maxCostUsd', budget: maxCostUsd, spent: roundUsd(this.cost) };
    return undefined;
  }

  private count(usage: TokenUsage, model: string | undefined): Counted {
    const cost = this.limits.maxCostUsd !== undefined ? (this.prices?.cost(model, usage) ?? 0) : 0;
    // Only the counts known: a call that reported its input alone spent at least that.
    return { tokens: usage.total_tokens ?? (usage.input_tokens ?? 0) + (usage.output_tokens ?? 0), cost };
  }

  private add(tokens: number, cost: number): void {
    this.tokens += tokens;
    this.cost += cost;
  }
}
