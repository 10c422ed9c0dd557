import { installedEngine } from './engine.js';
import { currentFrame, runInRequestScope } from './run-context.js';
import { traceScopeFrom, withRunBaggage } from './trace-headers.js';
import { formatTraceParent } from './traceparent.js';
import {
  llmSpec,
  runSpec,
  toolSpec,
  type AgentLlmOptions,
  type AgentRunOptions,
  type AgentToolOptions,
} from './specs.js';
import { wrapFunction } from './wrap-function.js';

/** What code inside a run can read about it. */
export interface AgentRunInfo {
  runId: string;
  traceId: string;
  /** The innermost open span: the current step's, or the run's own. */
  spanId: string;
  agent: string;
  parentRunId?: string;
  requestId?: string;
  userId?: string;
  /** Aborted when the run times out, is cancelled or the process shuts down: pass it to fetch or a model client. */
  signal: AbortSignal;
  /** A W3C `traceparent` for outbound calls, so a downstream service joins the trace. */
  traceparent: string;
}

/**
 * The current run, or undefined outside any run.
 *
 * @example
 * const run = currentAgentRun();
 * await fetch(url, { signal: run?.signal, headers: { traceparent: run?.traceparent ?? '' } });
 */
export function currentAgentRun(): AgentRunInfo | undefined {
  const frame = currentFrame();
  const run = frame?.run;
  if (!run) return undefined;
  const spanId = frame.spanId ?? run.spanId;
  return {
    runId: run.runId,
    traceId: run.traceId,
    spanId,
    agent: run.agent,
    parentRunId: run.parentRunId,
    requestId: frame.request?.requestId,
    userId: frame.request?.userId,
    signal: run.signal,
    traceparent: formatTraceParent(run.traceId, spanId, run.traceFlags),
  };
}

/** Headers as fetch, axios and the model SDKs take them. */
export type HeadersLike = Headers | Iterable<readonly [string, string] | readonly string[]> | Record<string, string | readonly string[] | number | undefined>;

function plainHeaders(base: HeadersLike | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (base === undefined || base === null) return out;
  if (typeof (base as Headers).forEach === 'function' && !Array.isArray(base)) {
    (base as Headers).forEach((value, key) => (out[key.toLowerCase()] = value));
  } else if (typeof (base as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [key, value] of base as Iterable<readonly string[]>) out[String(key).toLowerCase()] = String(value);
  } else {
    for (const [key, value] of Object.entries(base)) if (value !== undefined) out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/**
 * The headers that carry the current run and step to another service: W3C
 * `traceparent` (the current step's span), and `baggage` naming the run, so a
 * service with this package records its run as a child of the calling step.
 * With the OpenTelemetry integration, the active context's headers
 * (`tracestate`, other baggage entries) come too. Returns `base` (as a plain
 * object, keys lower-cased) with them added; outside a run, `base` alone.
 *
 * @example
 * await fetch(url, { headers: agentTraceHeaders({ 'content-type': 'application/json' }) });
 * await openai.chat.completions.create(body, { headers: agentTraceHeaders() });
 */
export function agentTraceHeaders(base?: HeadersLike): Record<string, string> {
  const out = plainHeaders(base);
  const frame = currentFrame();
  const run = frame?.run;
  if (!run) return out;
  const carrier: Record<string, string> = {};
  const inject = run.engine.tracer?.inject;
  if (inject !== undefined) {
    try {
      inject.call(run.engine.tracer, carrier);
    } catch (err) {
      run.engine.dropped(err);
    }
  }
  Object.assign(out, carrier);
  out.traceparent = carrier.traceparent ?? formatTraceParent(run.traceId, frame.spanId ?? run.spanId, run.traceFlags);
  out.baggage = withRunBaggage(carrier.baggage ?? out.baggage, run.runId);
  return out;
}

/**
 * Runs `fn` in the trace its carrier came from (`traceparent`, `baggage`), so
 * runs started inside are children of the calling step and run: for work that
 * no interceptor sees — a BullMQ job, a TCP payload, a message read by hand.
 * A malformed carrier starts a fresh trace, never an error.
 *
 * @example
 * // producer, inside a run:   await queue.add('summarize', { ...data, trace: agentTraceHeaders() });
 * // worker:                   new Worker('q', (job) => withAgentTraceContext(job.data.trace, () => agent.summarize(job.data)));
 */
export function withAgentTraceContext<T>(carrier: unknown, fn: () => T): T {
  const get =
    carrier !== null && typeof carrier === 'object'
      ? typeof (carrier as Headers).get === 'function'
        ? (name: string) => (carrier as Headers).get(name)
        : (name: string) => (carrier as Record<string, unknown>)[name]
      : () => undefined;
  // The request the caller is in (its request_id, user_id, its app's engine) stays; only the trace comes from the carrier.
  const frame = currentFrame();
  return runInRequestScope({ ...frame?.request, ...traceScopeFrom(get) }, fn, frame?.engine);
}

const STOP_REASON = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Sets the current run's `stop_reason` (snake_case, up to 64 characters), for
 * endings the code knows best: `answer_found`, `handed_to_human`. Returns false
 * and changes nothing outside a run or for an invalid reason.
 *
 * @example
 * if (confidence < 0.2) { setStopReason('handed_to_human'); return escalate(); }
 */
export function setStopReason(reason: string): boolean {
  const run = currentFrame()?.run;
  if (!run || typeof reason !== 'string' || !STOP_REASON.test(reason)) return false;
  run.stopReason = reason;
  return true;
}

/** How many events could not be written since the process started (a failing destination). */
export function droppedEventCount(): number {
  return installedEngine()?.droppedCount ?? 0;
}

type Fn = (...args: never[]) => unknown;

// Cleaned up by the spec builders (`bound answer` becomes `bound_answer`).
const nameOf = (fn: Fn, fallback: string) => fn.name || fallback;

/**
 * Wraps a function as an agent run: the same events as `@AgentRun`.
 *
 * @example
 * const answer = withAgentRun('support', (question: string) => agent.answer(question));
 */
export function withAgentRun<F extends Fn>(options: string | AgentRunOptions, fn: F): F {
  return wrapFunction(fn, runSpec(options, nameOf(fn, 'agent')));
}

/** Wraps a function as a tool step: the same events as `@AgentTool`. */
export function withAgentTool<F extends Fn>(options: string | AgentToolOptions, fn: F): F {
  return wrapFunction(fn, toolSpec(options, nameOf(fn, 'tool')));
}

/** Wraps a function as a model step: the same events as `@AgentLlm`. */
export function withAgentLlm<F extends Fn>(options: string | AgentLlmOptions, fn: F): F {
  return wrapFunction(fn, llmSpec(options, nameOf(fn, 'llm')));
}
