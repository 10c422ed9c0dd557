import type { StopReason } from './events/agent-event.js';
import { plainUsd } from './pricing/usd.js';

/**
 * A step refused by one of the run's guards (`maxSteps`, the loop guard, the
 * budget): thrown into the caller in the method's own shape, and the run then
 * ends with the guard's `stopReason`. Catch this class to handle every refusal.
 */
export abstract class AgentGuardError extends Error {
  /** The run's `stop_reason` once it ends. */
  abstract readonly stopReason: StopReason;
}

/** Thrown into the caller when a step would exceed the run's `maxSteps`; the run then ends with `max_steps`. */
export class MaxStepsExceededError extends AgentGuardError {
  override readonly name = 'MaxStepsExceededError';
  readonly stopReason = 'max_steps';
  constructor(
    readonly agent: string,
    readonly maxSteps: number,
  ) {
    super(`agent "${agent}" reached its limit of ${maxSteps} steps`);
  }
}

/**
 * Thrown into the caller when the loop guard (mode `refuse`) refuses a tool
 * call the run already repeated too often with the same arguments; the run
 * then ends with `loop_detected`. Carries the signature, never the arguments.
 */
export class LoopDetectedError extends AgentGuardError {
  override readonly name = 'LoopDetectedError';
  readonly stopReason = 'loop_detected';
  constructor(
    readonly agent: string,
    readonly tool: string,
    readonly argsHash: string,
    readonly repeats: number,
  ) {
    // `repeats` counts this call and the refused ones before it, not only the calls that ran.
    super(`agent "${agent}" asked for tool "${tool}" with the same arguments ${repeats} times, this call and any refused before it included; the call was refused`);
  }
}

/**
 * Thrown into the caller when a step begins after the run spent its
 * `maxTokens` or `maxCostUsd`; the run then ends with `budget_exceeded`.
 */
export class BudgetExceededError extends AgentGuardError {
  override readonly name = 'BudgetExceededError';
  readonly stopReason = 'budget_exceeded';
  constructor(
    readonly agent: string,
    /** Which limit was spent. */
    readonly limit: 'maxTokens' | 'maxCostUsd',
    readonly budget: number,
    readonly spent: number,
  ) {
    // Dollars to the precision they were given (a budget of $0.00001 must not read $0.0000), tokens as counted.
    const amount = (n: number) => (limit === 'maxCostUsd' ? `$${plainUsd(n)}` : `${n} tokens`);
    super(`agent "${agent}" has spent ${amount(spent)} of its ${limit} of ${amount(budget)}; the step was refused`);
  }
}

/** The reason given to the run's AbortSignal when `timeoutMs` elapses. */
export class AgentRunTimeoutError extends Error {
  override readonly name = 'AgentRunTimeoutError';
  constructor(
    readonly agent: string,
    readonly timeoutMs: number,
  ) {
    super(`agent "${agent}" ran longer than ${timeoutMs} ms`);
  }
}

/** Bad configuration: thrown when the module starts or a decorator is applied, never at run time. */
export class AgentLoggingConfigError extends Error {
  override readonly name = 'AgentLoggingConfigError';
}
