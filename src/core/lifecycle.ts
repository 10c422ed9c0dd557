import { engineForRun, installedEngine } from './engine.js';
import { AgentGuardError } from './errors.js';
import { Run } from './run.js';
import type { Frame } from './run-context.js';
import type { RunSpec, StepSpec } from './specs.js';
import type { Step } from './step.js';

/**
 * The begin/end face of runs and steps, for integrations driven by a
 * framework's hooks (a start callback here, an end callback there) rather than
 * by one call that instrument() can wrap. The same Run and Step, so the same
 * events, counters, guards and stop reasons: an integration only translates.
 * Each is ended with `end(outcome)`, once; a later end is ignored.
 */

/**
 * Opens a run under `parent`: a sub-agent when `parent` belongs to a run, else
 * a run of its own that inherits the request's ids. Undefined when no engine is
 * installed (the module was never imported). Never throws.
 */
export function beginRun(spec: RunSpec, parent: Frame | undefined, args: readonly unknown[]): Run | undefined {
  // A framework's objects belong to no application: the run's or request's engine, else the installed one.
  const engine = engineForRun(undefined, parent);
  if (!engine) return undefined;
  try {
    return new Run(engine, spec, parent, args);
  } catch (err) {
    engine.dropped(err);
    return undefined;
  }
}

/**
 * Opens a step in `parent`'s run, as a child of `parent`'s span. Undefined
 * outside a run or once the run has ended (nothing to belong to). Throws an
 * AgentGuardError when a guard refuses the step (maxSteps, a budget, the loop
 * guard): the integration makes it the framework's own failure, as the
 * decorators make it the method's.
 */
export function beginStep(spec: StepSpec, parent: Frame | undefined, args: readonly unknown[], toolCallId?: string): Step | undefined {
  const run = parent?.run;
  if (!run || run.isFinished) return undefined;
  try {
    return run.beginStep(spec, parent, args, toolCallId);
  } catch (err) {
    if (isRefusal(err)) throw err;
    run.engine.dropped(err);
    return undefined;
  }
}

/** What a frame is: a run's own body, a tool or a model step, or none of these (a request's scope, nothing). */
export function frameKind(frame: Frame | undefined): 'run' | 'tool' | 'llm' | undefined {
  const run = frame?.run;
  if (!run) return undefined;
  if (frame === run) return 'run';
  // Structural, not instanceof: a frame may come from the package's other build (ESM or CommonJS).
  const kind = (frame as Partial<Step>).spec?.kind;
  return kind === 'tool' || kind === 'llm' ? kind : undefined;
}

const GUARD_ERRORS = new Set(['MaxStepsExceededError', 'LoopDetectedError', 'BudgetExceededError']);

/** A guard's refusal, by name too: it may come from the package's other build, with its own class. */
export const isRefusal = (err: unknown): boolean => err instanceof AgentGuardError || (err instanceof Error && GUARD_ERRORS.has(err.name));

/**
 * Runs one of an integration's hook handlers: a fault in our bookkeeping is
 * counted, never thrown into the framework. With `passRefusal`, the step
 * guard's refusal is thrown on, for a framework that fails its call with it.
 */
export function inHook(handler: () => void, passRefusal = false): void {
  try {
    handler();
  } catch (err) {
    if (passRefusal && isRefusal(err)) throw err;
    installedEngine()?.dropped(err);
  }
}
