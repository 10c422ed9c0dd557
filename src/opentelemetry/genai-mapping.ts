import { SpanKind, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import type { SpanRequest } from '../core/integration.js';

/**
 * The whole mapping from events to spans, in one place: the OpenTelemetry
 * GenAI semantic conventions (open-telemetry/semantic-conventions-genai,
 * schema below; every GenAI attribute is still "Development" there and may
 * change). Where the conventions have nothing (run ids, steps, stop reasons,
 * hashes), the name is ours, under `agent_log.*`. docs/opentelemetry.md has
 * the same table for readers.
 */
export const GENAI_SCHEMA_URL = 'https://opentelemetry.io/schemas/gen-ai/1.42.0';

/** The conventions' operation for a model step: the package cannot tell a chat from another kind of call. */
const MODEL_OPERATION = 'chat';

type Kind = SpanRequest['kind'];
type Fields = Record<string, unknown>;

/** `invoke_agent {agent}`, `execute_tool {tool}`, `chat {model}` (plain `chat` until a model is known). */
export function spanName(kind: Kind, name: string | undefined): string {
  const operation = kind === 'run' ? 'invoke_agent' : kind === 'tool' ? 'execute_tool' : MODEL_OPERATION;
  return name === undefined ? operation : `${operation} ${name}`;
}

/** An agent and a tool run in this process (INTERNAL); a model is called over the network (CLIENT). */
export const spanKind = (kind: Kind): SpanKind => (kind === 'llm' ? SpanKind.CLIENT : SpanKind.INTERNAL);

/**
 * Attributes known when the span starts, so samplers can see them. The run id
 * is on the run's span only: its steps are its children in the trace. Every
 * attribute costs on every span exported, so a step carries few.
 */
export function startAttributes(request: SpanRequest): Attributes {
  const { kind, name } = request;
  if (kind === 'run') return { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': name, 'agent_log.run_id': request.runId };
  if (kind === 'tool') return { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name };
  return name === undefined ? { 'gen_ai.operation.name': MODEL_OPERATION } : { 'gen_ai.operation.name': MODEL_OPERATION, 'gen_ai.request.model': name };
}

const USAGE: readonly (readonly [string, string])[] = [
  ['input_tokens', 'gen_ai.usage.input_tokens'],
  ['output_tokens', 'gen_ai.usage.output_tokens'],
  ['cache_read_tokens', 'gen_ai.usage.cache_read.input_tokens'],
  ['cache_creation_tokens', 'gen_ai.usage.cache_creation.input_tokens'],
  ['reasoning_tokens', 'gen_ai.usage.reasoning.output_tokens'],
];

/** run_finished's `limit` (the limit that stopped the run) → attributes of the run's span. */
const LIMIT: readonly (readonly [string, string])[] = [
  ['name', 'agent_log.limit.name'],
  ['value', 'agent_log.limit.value'],
  ['spent', 'agent_log.limit.spent'],
];

/** Field of the event → attribute, copied when present. Content fields are there only when capture is on. */
const COPIED: Record<string, readonly (readonly [string, string])[]> = {
  run_started: [
    ['parent_run_id', 'agent_log.parent_run_id'],
    ['request_id', 'agent_log.request_id'],
    ['task_hash', 'agent_log.task_hash'],
    ['task', 'agent_log.task'],
  ],
  agent_step: [
    ['step_index', 'agent_log.step_index'],
    ['prompt', 'agent_log.prompt'],
  ],
  tool_call: [
    ['args_hash', 'agent_log.args_hash'],
    ['tool_call_id', 'gen_ai.tool.call.id'],
    ['args', 'gen_ai.tool.call.arguments'],
  ],
  tool_result: [['result', 'gen_ai.tool.call.result']],
  llm_result: [
    ['provider', 'gen_ai.provider.name'],
    ['response_id', 'gen_ai.response.id'],
    ['output', 'agent_log.output'],
  ],
  run_finished: [
    ['stop_reason', 'agent_log.stop_reason'],
    ['total_steps', 'agent_log.total_steps'],
    ['tool_calls', 'agent_log.tool_calls'],
    ['llm_calls', 'agent_log.llm_calls'],
    ['errors', 'agent_log.errors'],
    ['first_error_step_index', 'agent_log.first_error_step_index'],
  ],
};

/** The events that end a run's or a step's span. */
const LAST = new Set(['tool_result', 'llm_result', 'run_finished']);

/**
 * Puts one event on its span: the attributes its fields map to, the error on
 * a failed ending, and the end of the span on the run's or step's last event.
 * `requestModel` is the model the span was started with, if any.
 */
export function applyEvent(span: Span, event: Fields, requestModel: string | undefined): void {
  const name = event.event as string;
  // One setAttribute per field present (what setAttributes does anyway), no object per event.
  for (const [field, key] of COPIED[name] ?? NONE) {
    const value = event[field];
    if (typeof value === 'string' || typeof value === 'number') span.setAttribute(key, value);
  }
  if (name === 'llm_result') {
    const model = event.model;
    // A model read from the result: the span is named after it now.
    if (requestModel === undefined && typeof model === 'string') span.updateName(spanName('llm', model));
    // The model that answered: beside the one asked for when they differ, else `model` when the answer named it.
    const responseModel = event.response_model ?? (requestModel === undefined ? model : undefined);
    if (typeof responseModel === 'string') span.setAttribute('gen_ai.response.model', responseModel);
    if (typeof event.finish_reason === 'string') span.setAttribute('gen_ai.response.finish_reasons', [event.finish_reason]);
    if (typeof event.time_to_first_token_ms === 'number') span.setAttribute('gen_ai.response.time_to_first_chunk', event.time_to_first_token_ms / 1000);
  }
  const limit = event.limit as Fields | undefined;
  if (limit !== undefined) {
    for (const [field, key] of LIMIT) if (typeof limit[field] === 'string' || typeof limit[field] === 'number') span.setAttribute(key, limit[field] as string | number);
  }
  const usage = event.token_usage as Fields | undefined;
  if (usage !== undefined) {
    for (const [field, key] of USAGE) if (typeof usage[field] === 'number') span.setAttribute(key, usage[field] as number);
  }
  // `ok` is the span's unset status; an error is its error status; only a cancellation needs saying.
  if (event.status === 'cancelled') span.setAttribute('agent_log.status', 'cancelled');
  if (event.status === 'error') {
    span.setAttribute('error.type', (event.error_class ?? event.stop_reason ?? '_OTHER') as string);
    span.setStatus({ code: SpanStatusCode.ERROR, message: typeof event.error_message === 'string' ? event.error_message : undefined });
  }
  if (LAST.has(name)) span.end();
}

const NONE: readonly (readonly [string, string])[] = [];

/** Ends a span whose run could not be opened, with the failure's class as `error.type`. */
export function failSpan(span: Span, errorType: string): void {
  span.setAttribute('error.type', errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'nestjs-agent-logging could not open the run' });
  span.end();
}
