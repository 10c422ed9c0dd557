import type { Engine } from './engine.js';
import type { TracedSpan } from './integration.js';
import type { Run } from './run.js';
import { registry } from './registry.js';

/** What the interceptor learnt about the request that is being served. */
export interface RequestScope {
  requestId?: string;
  userId?: string;
  /** From a valid inbound `traceparent`. */
  traceId?: string;
  parentSpanId?: string;
  traceFlags?: string;
  /** The calling run in another service, from the inbound `baggage` (`agent_log.run_id`). */
  parentRunId?: string;
}

/**
 * The value held in AsyncLocalStorage. A frame is immutable: entering a run or
 * a step makes a new frame, so a callback that outlives its step still sees
 * the step it was created in, never a sibling's.
 */
export interface Frame {
  readonly request?: RequestScope;
  readonly run?: Run;
  /** The innermost open span: the run's own, or the step's being executed. */
  readonly spanId?: string;
  /** The application's engine: the run's, or the one whose interceptor bound the request. */
  readonly engine?: Engine;
  /** The tracer's span of that run or step (OpenTelemetry), entered with the frame. */
  readonly traced?: TracedSpan;
}

const storage = registry.storage as import('node:async_hooks').AsyncLocalStorage<Frame>;

export const currentFrame = (): Frame | undefined => storage.getStore();

/**
 * Runs `fn` with `frame` as the current frame; the only way frames are
 * entered. A frame with a tracer's span also enters that span's context, so
 * the code of a step (and the outbound calls an auto-instrumentation traces
 * in it) runs inside the step's span. `fn` runs exactly once whatever the
 * tracer does: one whose `enter` throws before calling it is passed by.
 */
export function runInFrame<T>(frame: Frame, fn: () => T): T {
  const traced = frame.traced;
  if (traced === undefined) return storage.run(frame, fn);
  let called = false;
  try {
    return traced.enter(() => {
      called = true;
      return storage.run(frame, fn);
    });
  } catch (err) {
    if (called) throw err;
    frame.run?.engine.dropped(err);
    return storage.run(frame, fn);
  }
}

/**
 * Runs `fn` with a request's scope, so runs started inside inherit its ids;
 * with the engine of the application serving the request, runs started inside
 * by code no application owns (a plain function) are that application's.
 */
export function runInRequestScope<T>(request: RequestScope, fn: () => T, engine?: Engine): T {
  return storage.run(engine ? { request, engine } : { request }, fn);
}
