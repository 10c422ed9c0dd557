import { BudgetExceededError } from '../errors.js';
import type { HashResult } from '../hashing/hasher.js';
import type { PriceTable } from '../pricing/price-table.js';
import type { ToolSpec } from '../specs.js';
import { BudgetMeter, type BudgetLimits } from './budget-meter.js';
import { LoopTracker, forTool, type LoopVerdict, type ResolvedLoopGuard } from './loop-guard.js';

/** A run's guards as configured: resolved once per run spec by the engine. */
export interface GuardConfig {
  readonly loop?: ResolvedLoopGuard;
  readonly limits?: BudgetLimits;
}

/**
 * The guards of one run in flight: made only for runs that have one, so a
 * run without guards pays one undefined check per step.
 */
export class RunGuards {
  readonly budget?: BudgetMeter;
  private tracker?: LoopTracker;
  /** Per tool spec, the run's loop guard as it applies to that tool (undefined: exempt). */
  private toolGuards?: Map<ToolSpec, ResolvedLoopGuard | undefined>;

  constructor(
    private readonly config: GuardConfig,
    prices: PriceTable | undefined,
  ) {
    if (config.limits) this.budget = new BudgetMeter(config.limits, prices);
  }

  /** The refusal for a step about to begin when the run has spent a limit (the step would pass it), else undefined. */
  budgetRefusal(agent: string): BudgetExceededError | undefined {
    const spent = this.budget?.spent();
    return spent ? new BudgetExceededError(agent, spent.limit, spent.budget, spent.spent) : undefined;
  }

  /** The loop guard for a call of this tool, or undefined when it is off or the tool is exempt. */
  loopFor(spec: ToolSpec): ResolvedLoopGuard | undefined {
    const loop = this.config.loop;
    if (!loop || spec.loopGuard === undefined) return loop;
    const cache = (this.toolGuards ??= new Map());
    if (!cache.has(spec)) cache.set(spec, forTool(loop, spec.loopGuard));
    return cache.get(spec);
  }

  /**
   * Sees one guarded tool call. A truncated hash covers a prefix only, so two
   * different calls could share it: that call fails open, unseen, and the
   * streak around it stands.
   */
  seeCall(tool: string, hash: HashResult, guard: ResolvedLoopGuard): LoopVerdict | undefined {
    if (hash.truncated) return undefined;
    this.tracker ??= new LoopTracker(this.config.loop?.window);
    return this.tracker.see(tool, hash.hash, guard);
  }
}
