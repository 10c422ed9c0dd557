import { installedEngine } from './engine';
import { MaxStepsExceededError } from './errors';
import { Run } from './run';
import { currentFrame, runInFrame, type Frame } from './run-context';
import { settle } from './shapes/settle';
import type { Spec } from './specs';
import type { Step } from './step';

/**
 * The one mechanism behind every decorator and every `withAgent*` wrapper:
 * open a run or a step, call the target inside its frame with the same `this`
 * and arguments, and end the span when the returned value is done.
 *
 * With no engine installed (the module was never imported, say in a unit
 * test) it simply calls through. A fault in our own bookkeeping is counted and
 * the target is called as if undecorated; only the step guard's
 * MaxStepsExceededError is ever given to the app, by design.
 */
export function instrument(spec: Spec, target: (...args: never[]) => unknown, thisArg: unknown, args: unknown[]): unknown {
  const engine = installedEngine();
  if (!engine) return Reflect.apply(target, thisArg, args);
  const parent = currentFrame();
  let span: Run | Step;
  let frame: Frame;
  try {
    if (spec.kind === 'run') {
      span = new Run(engine, spec, parent, args);
      frame = span.frame;
    } else {
      const run = parent?.run;
      // A step outside any run, or after its run ended (a body still working
      // past its timeout), has nothing to belong to.
      if (!run || run.isFinished) return Reflect.apply(target, thisArg, args);
      span = run.beginStep(spec, parent.spanId, args);
      frame = { request: parent.request, run, spanId: span.spanId };
    }
  } catch (err) {
    if (err instanceof MaxStepsExceededError) return refuse(target, err);
    engine.dropped(err);
    return Reflect.apply(target, thisArg, args);
  }
  return runInFrame(frame, () => {
    let result: unknown;
    try {
      result = Reflect.apply(target, thisArg, args);
    } catch (error) {
      span.end({ type: 'error', error });
      throw error;
    }
    return settle(result, span, frame);
  });
}

/**
 * The step guard's refusal, in the shape the method itself fails in: an async
 * method rejects (so `Promise.allSettled([tool(), tool()])` sees one rejected
 * entry, as it would for any failure of the tool), an async generator throws on
 * its first `next()`, anything else throws synchronously.
 */
function refuse(target: (...args: never[]) => unknown, error: MaxStepsExceededError): unknown {
  const tag = Object.prototype.toString.call(target);
  if (tag === '[object AsyncFunction]') return Promise.reject(error);
  if (tag === '[object AsyncGeneratorFunction]') {
    return (async function* refused(): AsyncGenerator<never> {
      throw error;
    })();
  }
  throw error;
}
