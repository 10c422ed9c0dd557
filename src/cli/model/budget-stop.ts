/** Which budget a `budget_exceeded` run spent, as the BudgetExceededError it threw says. */
export interface BudgetStop {
  limit: 'maxTokens' | 'maxCostUsd';
  budget: number;
  spent: number;
}

/**
 * The library's message: `agent "x" has spent 1200 tokens of its maxTokens of
 * 1000 tokens; the step was refused` (or `$0.0123 of its maxCostUsd of
 * $0.0100`). run_finished has no field for the limit, so it is read from the
 * error the run threw; a body that caught the refusal and answered leaves no
 * error, and a log written with `errorMessages: 'omit'` no message: then the
 * limit is not known.
 */
const MESSAGE = /has spent \$?(\d+(?:\.\d+)?)(?: tokens)? of its (maxTokens|maxCostUsd) of \$?(\d+(?:\.\d+)?)/;

export function budgetStop(run: { error_class?: string; error_message?: string }): BudgetStop | undefined {
  if (run.error_class !== 'BudgetExceededError' || run.error_message === undefined) return undefined;
  const m = MESSAGE.exec(run.error_message);
  return m ? { limit: m[2] as BudgetStop['limit'], budget: Number(m[3]), spent: Number(m[1]) } : undefined;
}
