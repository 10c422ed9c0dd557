/**
 * The event schema, `agent-log/1`: one JSON line per event. This file is the
 * contract between the writer (the engine) and every reader (the inspector,
 * pipelines), so it holds types only and imports nothing.
 */

export const SCHEMA_VERSION = 'agent-log/1';

export type AgentEventName =
  | 'run_started'
  | 'agent_step'
  | 'tool_call'
  | 'tool_result'
  | 'llm_result'
  | 'loop_detected'
  | 'run_finished';

/** Why a run ended. Codes may also set a reason of their own (any short snake_case string). */
export type StopReason =
  | 'completed'
  | 'max_steps'
  | 'tool_error'
  | 'step_error'
  | 'error'
  | 'cancelled'
  | 'timeout'
  | 'shutdown'
  | 'loop_detected'
  | 'budget_exceeded'
  | (string & {});

export type StepStatus = 'ok' | 'error' | 'cancelled';
export type StepType = 'tool_call' | 'llm_call';

/** Token counts of a model call, or summed over a run. A count the provider did not report is absent, never 0. */
export interface TokenUsage {
  input_tokens?: number;
  output_tokens?: number;
  /** The provider's total, else input plus output when both are known. */
  total_tokens?: number;
  cache_read_tokens?: number;
  cache_creation_tokens?: number;
  reasoning_tokens?: number;
}

/** Fields every event carries. */
export interface EventBase {
  event: AgentEventName;
  /** ISO 8601 UTC with milliseconds. */
  timestamp: string;
  run_id: string;
  /** 32 lowercase hex (W3C trace id). */
  trace_id: string;
  /** 2 lowercase hex (W3C trace flags, `01` sampled): with trace_id and span_id, what log pipelines link a line to its span by. */
  trace_flags: string;
  /** 16 lowercase hex: the run's or the step's own span. */
  span_id: string;
  parent_span_id?: string;
  agent: string;
  /** 1, 2, 3 ... within the run. */
  seq: number;
  schema: typeof SCHEMA_VERSION;
}

export interface RunStartedEvent extends EventBase {
  event: 'run_started';
  request_id?: string;
  user_id?: string;
  parent_run_id?: string;
  task_hash: string;
  task_truncated?: true;
  /** Opt-in (`capture.args`): the run's arguments, redacted, scrubbed and capped. */
  task?: string;
}

export interface AgentStepEvent extends EventBase {
  event: 'agent_step';
  step_index: number;
  step_type: StepType;
  tool?: string;
  model?: string;
  /** Opt-in (`capture.prompts`), on a model step: the model method's arguments, redacted, scrubbed and capped. */
  prompt?: string;
}

export interface ToolCallEvent extends EventBase {
  event: 'tool_call';
  tool: string;
  step_index: number;
  /** The model's id for the call, where a framework gave it. */
  tool_call_id?: string;
  args_hash: string;
  args_truncated?: true;
  /** Opt-in (`capture.args`): the tool's arguments, redacted, scrubbed and capped. */
  args?: string;
}

interface StepOutcomeFields {
  step_index: number;
  latency_ms: number;
  status: StepStatus;
  error_class?: string;
  error_message?: string;
}

export interface ToolResultEvent extends EventBase, StepOutcomeFields {
  event: 'tool_result';
  tool: string;
  tool_call_id?: string;
  result_hash?: string;
  result_truncated?: true;
  /** Opt-in (`capture.results`): the tool's result, redacted, scrubbed and capped. */
  result?: string;
}

export interface LlmResultEvent extends EventBase, StepOutcomeFields {
  event: 'llm_result';
  /** The model named in the decorator, else the one the answer names, else the method's name. */
  model: string;
  /** The model the answer names (`gpt-4o-2024-08-06`), when it differs from `model`: `gen_ai.response.model`. */
  response_model?: string;
  token_usage?: TokenUsage;
  finish_reason?: string;
  /** The provider whose wire format answered: `gen_ai.provider.name` (`openai`, `anthropic`). */
  provider?: string;
  /** The provider's id for the answer (`chatcmpl-…`, `resp_…`, `msg_…`): `gen_ai.response.id`. */
  response_id?: string;
  /** The provider's id for the HTTP request (its request-id header), what one quotes to its support. */
  provider_request_id?: string;
  /** Streamed answers: from the call to the first chunk carrying output (text, reasoning, a tool call). */
  time_to_first_token_ms?: number;
  /** Opt-in (`capture.outputs`): the model call's result, redacted, scrubbed and capped. */
  output?: string;
}

/**
 * The loop guard saw one tool called with the same arguments too often: in a
 * row (`rule: "consecutive"`), or within its window of recent tool calls.
 * `warned`: the call went ahead (on the span of the step that completed the
 * pattern); `refused`: it was refused with LoopDetectedError (on the run's span).
 */
export interface LoopDetectedEvent extends EventBase {
  event: 'loop_detected';
  tool: string;
  args_hash: string;
  /** How many times the signature was seen, this call included. */
  repeats: number;
  rule: 'consecutive' | 'window';
  action: 'warned' | 'refused';
  /** The step that completed the pattern (`warned` only: a refused call is no step). */
  step_index?: number;
}

export interface RunFinishedEvent extends EventBase {
  event: 'run_finished';
  status: StepStatus;
  stop_reason: StopReason;
  total_steps: number;
  total_latency_ms: number;
  tool_calls: number;
  llm_calls: number;
  errors: number;
  /** What the model steps reported, summed. */
  token_usage?: TokenUsage;
  /** True when `token_usage` is short: a model step that got an answer reported no usage, or only some of its counts. */
  token_usage_partial?: boolean;
  first_error_step_index?: number;
  error_class?: string;
  error_message?: string;
  /** The limit that stopped the run, when one did: which, its value, and what the run had spent of it. */
  limit?: RunLimit;
}

/**
 * `maxSteps`, `maxTokens` and `maxCostUsd` are this package's guards (the step
 * after the limit was refused); `framework_step_cap` is a framework's own cap
 * (the AI SDK's `stopWhen`, the Agents SDK's `maxTurns`, LangGraph's
 * `recursionLimit`), whose value the framework does not report.
 */
export interface RunLimit {
  name: 'maxSteps' | 'maxTokens' | 'maxCostUsd' | 'framework_step_cap';
  value?: number;
  spent?: number;
}

export type AgentEvent =
  | RunStartedEvent
  | AgentStepEvent
  | ToolCallEvent
  | ToolResultEvent
  | LlmResultEvent
  | LoopDetectedEvent
  | RunFinishedEvent;
