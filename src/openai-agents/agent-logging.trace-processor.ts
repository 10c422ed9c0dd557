import type { Span, Trace, TracingProcessor } from '@openai/agents';
import { inHook } from '../core/lifecycle.js';
import { bridgeAgentsContext, spanEnded, spanStarted, traceEnded, traceStarted, type SpanLike } from './agents-spans.js';

/**
 * An OpenAI Agents SDK trace processor that writes the standard events of
 * every agent run: each model call (`response` or `generation` span) as an
 * `llm_call` step with its usage, each function tool as a `tool_call` step
 * hashed over the tool's input with the model's `tool_call_id`, each handoff
 * as the handoff tool's step followed by the next agent's run nested under
 * the one that handed off, an agent used as a tool as a sub-agent run under
 * that tool's step. The run joins the current run, or opens one when there is
 * none. `maxTurns` ends the run `max_steps`, a tripped guardrail
 * `guardrail_tripped`. Decorated services called from a tool belong to its step.
 *
 * @example
 * import { addTraceProcessor } from '@openai/agents';
 * addTraceProcessor(new AgentLoggingTraceProcessor());
 */
export class AgentLoggingTraceProcessor implements TracingProcessor {
  constructor() {
    bridgeAgentsContext();
  }

  async onTraceStart(trace: Trace): Promise<void> {
    inHook(() => traceStarted(trace.traceId));
  }

  async onTraceEnd(trace: Trace): Promise<void> {
    inHook(() => traceEnded(trace.traceId));
  }

  async onSpanStart(span: Span<any>): Promise<void> {
    inHook(() => spanStarted(span as unknown as SpanLike));
  }

  async onSpanEnd(span: Span<any>): Promise<void> {
    inHook(() => spanEnded(span as unknown as SpanLike));
  }

  async shutdown(): Promise<void> {}

  async forceFlush(): Promise<void> {}
}
