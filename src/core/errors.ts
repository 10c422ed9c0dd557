/** Thrown into the caller when a step would exceed the run's `maxSteps`; the run then ends with `max_steps`. */
export class MaxStepsExceededError extends Error {
  override readonly name = 'MaxStepsExceededError';
  constructor(
    readonly agent: string,
    readonly maxSteps: number,
  ) {
    super(`agent "${agent}" reached its limit of ${maxSteps} steps`);
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
