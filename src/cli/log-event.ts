import type {
  AgentEventName,
  AgentStepEvent,
  LlmResultEvent,
  RunFinishedEvent,
  RunStartedEvent,
  TokenUsage,
  ToolCallEvent,
  ToolResultEvent,
} from '../core/events/agent-event';

type Own<E> = Omit<E, 'event' | 'schema'>;
type AllFields = Own<RunStartedEvent> &
  Own<AgentStepEvent> &
  Own<ToolCallEvent> &
  Own<ToolResultEvent> &
  Own<LlmResultEvent> &
  Own<RunFinishedEvent>;

/**
 * One event as the inspector sees it: every field of the schema optional
 * (a log is hostile and may be partial), plus `time`, the wall clock in epoch
 * milliseconds, read once here so nobody parses timestamps twice.
 */
export type LogEvent = Partial<AllFields> & { event: AgentEventName; run_id: string; seq: number; time: number };

const EVENT_NAMES = new Set<string>(['run_started', 'agent_step', 'tool_call', 'tool_result', 'llm_result', 'run_finished']);

/** A hostile line must not make the inspector hold megabytes per field. */
const MAX_STRING = 4096;

const STRING_FIELDS = [
  'timestamp', 'trace_id', 'span_id', 'parent_span_id', 'agent', 'request_id', 'user_id', 'parent_run_id', 'task_hash',
  'step_type', 'tool', 'model', 'args_hash', 'status', 'error_class', 'error_message', 'result_hash', 'finish_reason',
  'stop_reason', 'trace_flags',
] as const;
const NUMBER_FIELDS = [
  'step_index', 'latency_ms', 'total_steps', 'total_latency_ms', 'tool_calls', 'llm_calls', 'errors', 'first_error_step_index',
] as const;
const TOKEN_FIELDS = [
  'input_tokens', 'output_tokens', 'total_tokens', 'cache_read_tokens', 'cache_creation_tokens', 'reasoning_tokens',
] as const;

/**
 * OpenTelemetry GenAI attribute names read where ours are absent (flat dotted
 * keys, or under an OTLP log record's `attributes`). Only obvious one-to-one
 * mappings: where the conventions have nothing (steps, stop reasons), ours rule.
 */
const OTEL_NAMES: Record<string, string> = {
  'gen_ai.tool.name': 'tool',
  'gen_ai.request.model': 'model',
  'gen_ai.response.model': 'model',
  'gen_ai.agent.name': 'agent',
  'gen_ai.tool.call.arguments_hash': 'args_hash',
  'error.type': 'error_class',
  'event.name': 'event',
  event_name: 'event',
  traceId: 'trace_id',
  spanId: 'span_id',
  parentSpanId: 'parent_span_id',
};

function str(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value); // pino-http's numeric req.id
  return undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function tokenUsage(raw: unknown, flat: Record<string, unknown>): TokenUsage | undefined {
  const source = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const out: Partial<Record<(typeof TOKEN_FIELDS)[number], number>> = {};
  for (const key of TOKEN_FIELDS) {
    const value = num(source[key]) ?? num(flat[`gen_ai.usage.${key}`]);
    if (value !== undefined && value >= 0) out[key] = value;
  }
  if (out.input_tokens === undefined && out.output_tokens === undefined && out.total_tokens === undefined) return undefined;
  const input = out.input_tokens ?? 0;
  const output = out.output_tokens ?? 0;
  return { ...out, input_tokens: input, output_tokens: output, total_tokens: out.total_tokens ?? input + output };
}

function epochMs(record: Record<string, unknown>, timestamp: string | undefined): number | undefined {
  const parsed = timestamp === undefined ? NaN : Date.parse(timestamp);
  if (Number.isFinite(parsed)) return parsed;
  const time = record.time; // pino's own field
  if (typeof time === 'number' && Number.isFinite(time)) return time;
  if (typeof time === 'string' && Number.isFinite(Date.parse(time))) return Date.parse(time);
  const nanos = record.timeUnixNano ?? record.time_unix_nano; // OTLP log records
  if (typeof nanos === 'string' || typeof nanos === 'number') {
    const ms = Number(nanos) / 1e6;
    if (Number.isFinite(ms)) return ms;
  }
  return undefined;
}

/**
 * Reads one parsed JSON line as an event, or undefined when it is not one (the
 * app's own log lines, another schema version, a line without a run or time).
 * Only fields of the expected type are kept: the log is untrusted input.
 */
export function toLogEvent(parsed: unknown): LogEvent | undefined {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  let record = parsed as Record<string, unknown>;
  const attributes = record.attributes;
  if (attributes !== null && typeof attributes === 'object' && !Array.isArray(attributes)) {
    record = { ...(attributes as Record<string, unknown>), ...record };
  }
  if (record.schema !== undefined && record.schema !== 'agent-log/1') return undefined;
  const mapped: Record<string, unknown> = { ...record };
  for (const [otel, ours] of Object.entries(OTEL_NAMES)) {
    if (mapped[ours] === undefined && record[otel] !== undefined) mapped[ours] = record[otel];
  }
  const finish = record['gen_ai.response.finish_reasons'];
  if (mapped.finish_reason === undefined && Array.isArray(finish)) mapped.finish_reason = finish[0];

  const event = mapped.event;
  const runId = str(mapped.run_id);
  const seq = num(mapped.seq);
  if (typeof event !== 'string' || !EVENT_NAMES.has(event) || runId === undefined) return undefined;
  const timestamp = str(mapped.timestamp);
  const time = epochMs(mapped, timestamp);
  if (time === undefined) return undefined;

  const out: Record<string, unknown> = { event, run_id: runId, seq: seq ?? 0, time };
  for (const key of STRING_FIELDS) {
    const value = str(mapped[key]);
    if (value !== undefined) out[key] = value;
  }
  for (const key of NUMBER_FIELDS) {
    const value = num(mapped[key]);
    if (value !== undefined) out[key] = value;
  }
  const usage = tokenUsage(mapped.token_usage, mapped);
  if (usage) out.token_usage = usage;
  return out as LogEvent;
}
