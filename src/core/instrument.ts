import { throwError } from 'rxjs';
import { engineForRun, type Engine } from './engine.js';
import { AgentGuardError } from './errors.js';
import { beginStep } from './lifecycle.js';
import { Run } from './run.js';
import { currentFrame, runInFrame, type Frame } from './run-context.js';
import { settle } from './shapes/settle.js';
import type { DeclaredReturn, Spec } from './specs.js';
import type { Step } from './step.js';

/**
 * The one mechanism behind every decorator and every `withAgent*` wrapper:
 * open a run or a step, call the target inside its frame with the same `this`
 * and arguments, and end the span when the returned value is done.
 *
 * With no engine installed (the module was never imported, say in a unit
 * test) it simply calls through. A fault in our own bookkeeping is counted and
 * the target is called as if undecorated; only a guard's refusal (an
 * AgentGuardError: max steps, budget, loop) is ever given to the app, by design.
 */
export function instrument(spec: Spec, target: (...args: never[]) => unknown, thisArg: unknown, args: unknown[]): unknown {
  const parent = currentFrame();
  const engine = spec.kind === 'run' ? engineForRun(thisArg, parent) : parent?.run?.engine;
  if (!engine) return Reflect.apply(target, thisArg, args);
  let span: Run | Step | undefined;
  try {
    span = open(engine, spec, parent, args);
  } catch (err) {
    if (err instanceof AgentGuardError) return refuse(target, err, spec.kind === 'run' ? undefined : spec.returns);
    engine.dropped(err);
  }
  // The target is called outside that try: whatever it throws is the app's,
  // and it is called exactly once.
  if (!span) return Reflect.apply(target, thisArg, args);
  // A run or a step is itself the frame its call executes in.
  const frame: Frame = span;
  return runInFrame(frame, () => {
    let result: unknown;
    try {
      result = Reflect.apply(target, thisArg, args);
    } catch (error) {
      span.end({ type: 'error', error });
      throw error;
    }
    // A run or a model call that resolves to a stream lasts until the stream ends; a tool's result is a value.
    return settle(result, span, frame, spec.kind !== 'tool');
  });
}

/**
 * Opens the run or the step for this call; undefined for a step outside any
 * run, or begun after its run ended (a body still working past its timeout):
 * it has nothing to belong to. A step is its run's, in its run's engine.
 */
function open(engine: Engine, spec: Spec, parent: Frame | undefined, args: unknown[]): Run | Step | undefined {
  if (spec.kind === 'run') return new Run(engine, spec, parent, args);
  return beginStep(spec, parent, args);
}

/**
 * A guard's refusal, in the shape the method itself fails in: a method
 * that returns a Promise rejects (so `Promise.allSettled([tool(), tool()])`
 * sees one rejected entry, as it would for any failure of the tool), one that
 * returns an Observable errors when subscribed, an async generator throws on
 * its first `next()`, anything else throws synchronously. What the method
 * returns is known from its declared return type (decorators) or its kind
 * (`async`); a plain function returning a Promise with neither throws.
 */
function refuse(target: (...args: never[]) => unknown, error: AgentGuardError, declared: DeclaredReturn | undefined): unknown {
  const tag = Object.prototype.toString.call(target);
  if (declared === 'promise' || tag === '[object AsyncFunction]') return Promise.reject(error);
  if (declared === 'observable') return throwError(() => error);
  if (tag === '[object AsyncGeneratorFunction]') {
    return (async function* refused(): AsyncGenerator<never> {
      throw error;
    })();
  }
  throw error;
}
