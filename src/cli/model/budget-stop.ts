import type { RunLimit } from '../../core/events/agent-event.js';

/** Which budget a `budget_exceeded` run spent: run_finished's `limit`, else the BudgetExceededError it threw. */
export interface BudgetStop {
  limit: 'maxTokens' | 'maxCostUsd';
  budget: number;
  spent: number;
}

/**
 * For logs written before run_finished had `limit`: the library's message,
 * `agent "x" has spent 1200 tokens of its maxTokens of 1000 tokens; the step
 * was refused` (or `$0.0123 of its maxCostUsd of $0.01`), read from the error
 * the run threw. A body that caught the refusal leaves no error there.
 */
const MESSAGE = /has spent \$?(\d+(?:\.\d+)?)(?: tokens)? of its (maxTokens|maxCostUsd) of \$?(\d+(?:\.\d+)?)/;

export function budgetStop(run: { error_class?: string; error_message?: string; limit?: RunLimit }): BudgetStop | undefined {
  const { limit } = run;
  if ((limit?.name === 'maxTokens' || limit?.name === 'maxCostUsd') && limit.value !== undefined && limit.spent !== undefined) {
    return { limit: limit.name, budget: limit.value, spent: limit.spent };
  }
  if (run.error_class !== 'BudgetExceededError' || run.error_message === undefined) return undefined;
  const m = MESSAGE.exec(run.error_message);
  return m ? { limit: m[2] as BudgetStop['limit'], budget: Number(m[3]), spent: Number(m[1]) } : undefined;
}
