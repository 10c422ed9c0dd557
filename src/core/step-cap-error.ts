import { MaxStepsExceededError } from './errors.js';

/**
 * Errors a loop throws when its step or turn cap ends it: our own step
 * guard's, the OpenAI Agents SDK's `maxTurns` and LangGraph's recursion limit
 * (its cap on super-steps). A run that ends with one ends `max_steps`. Told by
 * class name, so core imports no framework, and a copy of the error class from
 * another build of the same package still counts.
 */
const STEP_CAP_ERRORS = new Set(['MaxStepsExceededError', 'MaxTurnsExceededError', 'GraphRecursionError']);

export function isStepCapError(error: unknown): boolean {
  try {
    // Inside the try: `instanceof` on a revoked Proxy throws.
    if (error instanceof MaxStepsExceededError) return true;
    if (error === null || typeof error !== 'object') return false;
    const name = (error as Error).constructor?.name;
    return STEP_CAP_ERRORS.has(name) || STEP_CAP_ERRORS.has((error as Error).name);
  } catch {
    return false;
  }
}
