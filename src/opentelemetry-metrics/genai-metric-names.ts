/**
 * The one place that names OpenTelemetry metrics and attributes. The GenAI
 * conventions are in development and change between releases (0.1.0 replaced
 * the `gen_ai.client.token.usage` histogram by the `gen_ai.client.inference.*`
 * counters and histograms): a new release is mapped here and nowhere else.
 * Where the conventions have nothing (stop reasons, loops, cost, dropped
 * events), the name is ours, under `agent_log.`.
 */

/** The conventions this mapping follows. */
export const GENAI_SEMCONV = 'semantic-conventions-genai 0.1.0';

export const METRIC = {
  /** Histogram, s: one model call. */
  operationDuration: 'gen_ai.client.operation.duration',
  /** Histogram, s: one tool call. */
  toolDuration: 'gen_ai.execute_tool.duration',
  /** Histogram, s: one agent run. */
  agentDuration: 'gen_ai.invoke_agent.duration',
  /** Counters, {token}: tokens spent, by model. Cache and reasoning counts are parts of input and output. */
  inputTokens: 'gen_ai.client.inference.usage.input_tokens',
  outputTokens: 'gen_ai.client.inference.usage.output_tokens',
  cacheReadTokens: 'gen_ai.client.inference.usage.cache_read.input_tokens',
  cacheWriteTokens: 'gen_ai.client.inference.usage.cache_write.input_tokens',
  reasoningTokens: 'gen_ai.client.inference.usage.reasoning.output_tokens',
  /** Histograms, {token}: tokens per model call, for percentiles only. */
  operationInputTokens: 'gen_ai.client.inference.operation.input_tokens',
  operationOutputTokens: 'gen_ai.client.inference.operation.output_tokens',
  // Ours.
  /** Counter, {run}: runs finished, by status and stop reason. */
  runs: 'agent_log.runs',
  /** UpDownCounter, {run}: runs in flight. */
  runsActive: 'agent_log.runs.active',
  /** Histogram, {step}: steps per finished run. */
  runSteps: 'agent_log.run.steps',
  /** Counter, {loop}: loops the loop guard detected. */
  loops: 'agent_log.loops_detected',
  /** Counter, USD: cost of model calls from the price table. */
  cost: 'agent_log.client.cost',
  /** Observable counter, {event}: events that could not be written. */
  dropped: 'agent_log.events.dropped',
} as const;

export const ATTR = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  agentName: 'gen_ai.agent.name',
  toolName: 'gen_ai.tool.name',
  tokenModality: 'gen_ai.token.modality',
  errorType: 'error.type',
  // Ours.
  runStatus: 'agent_log.run.status',
  stopReason: 'agent_log.run.stop_reason',
  loopAction: 'agent_log.loop.action',
} as const;

/** `gen_ai.operation.name` of an `@AgentLlm` call: the conventions' value for a chat completion. */
export const CHAT_OPERATION = 'chat';
/** `gen_ai.token.modality` when the provider does not say (our events do not break usage down). */
export const UNKNOWN_MODALITY = 'unknown';
