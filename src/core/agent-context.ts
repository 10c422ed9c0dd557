import { installedEngine } from './engine.js';
import { currentFrame } from './run-context.js';
import { outboundHeaders } from './trace-headers.js';
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
  /** A W3C `traceparent` for outbound calls, so a downstream service joins the trace: the one `agentTraceHeaders()` sends. */
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
    traceparent: outboundHeaders(run, spanId).traceparent,
  };
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
