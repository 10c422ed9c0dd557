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
  /**
   * The trace fields came from a carrier (`withAgentTraceContext`) that the
   * tracer's context does not hold: they win over the tracer's active span.
   */
  traceFromCarrier?: boolean;
  /**
   * Told the id of each run started in the request outside any other run (a
   * nested run is found through its parent). The Nest adapter uses it to put
   * the run id on the HTTP response; a throw here is counted, never the app's.
   */
  readonly onRunStarted?: (runId: string) => void;
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

/**
 * Reads a framework's own context as one of our frames. A framework that runs
 * tool code in its own AsyncLocalStorage (LangChain's config, the OpenAI
 * Agents SDK's current span) is invisible to ours: its integration maps the
 * framework's current span to the step it opened for it, so a decorated
 * service called from inside that tool belongs to the tool's step. Given the
 * frame our storage holds; returns the frame to use instead, or undefined.
 */
export type ContextBridge = (own: Frame | undefined) => Frame | undefined;

// On the registry, so a bridge added by one copy of the package is read by every copy.
const bridges = registry.bridges as ContextBridge[];

/** The current frame: ours, or the one a framework's context points at. */
export function currentFrame(): Frame | undefined {
  const own = storage.getStore();
  if (bridges.length === 0) return own;
  for (const bridge of bridges) {
    try {
      const bridged = bridge(own);
      if (bridged) return bridged;
    } catch {
      // a bridge that cannot read its framework's context has nothing to say
    }
  }
  return own;
}

/** The frame our own storage holds, whatever a framework's context says. */
export const ownFrame = (): Frame | undefined => storage.getStore();

/** Adds a bridge for as long as its integration is in use; returns its removal. */
export function addContextBridge(bridge: ContextBridge): () => void {
  if (!bridges.includes(bridge)) bridges.push(bridge);
  return () => {
    const at = bridges.indexOf(bridge);
    if (at !== -1) bridges.splice(at, 1);
  };
}

/**
 * Runs `fn` with `frame` as the current frame; the only way frames are
 * entered. A frame with a tracer's span also enters that span's context, so
 * the code of a step (and the outbound calls an auto-instrumentation traces
 * in it) runs inside the step's span.
 */
export function runInFrame<T>(frame: Frame, fn: () => T): T {
  const traced = frame.traced;
  if (traced === undefined) return storage.run(frame, fn);
  return throughTracer((inner) => traced.enter(inner), () => storage.run(frame, fn), (err) => frame.run?.engine.dropped(err));
}

/**
 * Calls `fn` through a tracer's hook that should call it once (a span's
 * `enter`, a carrier's `extract`), giving the app exactly what `fn` gave:
 * its return value or its error, whatever the hook returns or throws. `fn`
 * runs exactly once: a hook that throws before calling it, or never calls
 * it, is passed by. Anything of the hook's own is counted through `fault`.
 */
export function throughTracer<T>(hook: (inner: () => T) => T, fn: () => T, fault: (err: unknown) => void): T {
  // 0: not called yet, 1: returned `value`, 2: threw `error`.
  let state = 0;
  let value: T | undefined;
  let error: unknown;
  let faulted = false;
  try {
    hook(() => {
      // A hook calling it again gets the first outcome, never a second run.
      if (state === 1) return value as T;
      if (state === 2) throw error;
      try {
        value = fn();
        state = 1;
        return value;
      } catch (err) {
        error = err;
        state = 2;
        throw err;
      }
    });
  } catch (err) {
    // fn's own error coming back through the hook is the app's, not a fault.
    if (state !== 2 || err !== error) {
      faulted = true;
      fault(err);
    }
  }
  if (state === 0) {
    if (!faulted) fault(new Error('the tracer did not call the code it was given'));
    return fn();
  }
  if (state === 2) throw error;
  return value as T;
}

/**
 * Runs `fn` with a request's scope, so runs started inside inherit its ids;
 * with the engine of the application serving the request, runs started inside
 * by code no application owns (a plain function) are that application's.
 */
export function runInRequestScope<T>(request: RequestScope, fn: () => T, engine?: Engine): T {
  return storage.run(engine ? { request, engine } : { request }, fn);
}
