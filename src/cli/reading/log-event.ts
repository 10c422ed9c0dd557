import type {
  AgentEventName,
  AgentStepEvent,
  LlmResultEvent,
  LoopDetectedEvent,
  RunFinishedEvent,
  RunLimit,
  RunStartedEvent,
  TokenUsage,
  ToolCallEvent,
  ToolResultEvent,
} from '../../core/events/agent-event.js';

type Own<E> = Omit<E, 'event' | 'schema'>;
type AllFields = Own<RunStartedEvent> &
  Own<AgentStepEvent> &
  Own<ToolCallEvent> &
  Own<ToolResultEvent> &
  Own<LlmResultEvent> &
  Own<LoopDetectedEvent> &
  Own<RunFinishedEvent>;

/**
 * One event as the inspector sees it: every field of the schema optional
 * (a log is hostile and may be partial), plus `time`, the wall clock in epoch
 * milliseconds, read once here so nobody parses timestamps twice.
 */
export type LogEvent = Partial<AllFields> & {
  /** One of ours, or an event of a newer version of the library (`memory_compacted`): shown, never misread. */
  event: AgentEventName | (string & {});
  run_id: string;
  seq: number;
  time: number;
  /** The line as parsed, for the views that show every field (the HTML page's step detail); not in `--json`. */
  [RAW]?: Record<string, unknown>;
};

/** Where an event keeps its parsed line: a symbol, so JSON.stringify leaves it out. */
export const RAW = Symbol('raw line');

const EVENT_NAMES = new Set<string>(['run_started', 'agent_step', 'tool_call', 'tool_result', 'llm_result', 'loop_detected', 'run_finished']);
/** An event name a newer library may write: accepted on our own lines (schema agent-log/1) only. */
const NEWER_EVENT = /^[a-z][a-z0-9_]{0,63}$/;

/** A hostile line must not make the inspector hold megabytes per field. */
const MAX_STRING = 4096;

const STRING_FIELDS = [
  'timestamp', 'trace_id', 'span_id', 'parent_span_id', 'agent', 'request_id', 'user_id', 'parent_run_id', 'task_hash',
  'step_type', 'tool', 'model', 'args_hash', 'status', 'error_class', 'error_message', 'result_hash', 'finish_reason',
  'stop_reason', 'trace_flags', 'rule', 'action',
] as const;
const NUMBER_FIELDS = [
  'step_index', 'latency_ms', 'total_steps', 'total_latency_ms', 'tool_calls', 'llm_calls', 'errors', 'first_error_step_index',
  'repeats',
] as const;
const TOKEN_FIELDS = [
  'input_tokens', 'output_tokens', 'total_tokens', 'cache_read_tokens', 'cache_creation_tokens', 'reasoning_tokens',
] as const;

/** The fields this inspector reads, and the ones every pino line has: any other field of an event is one it does not know. */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set<string>([
  ...STRING_FIELDS, ...NUMBER_FIELDS, 'token_usage', 'token_usage_partial', 'limit', 'event', 'run_id', 'seq', 'schema', 'level', 'time', 'pid', 'hostname', 'msg',
]);

/**
 * OpenTelemetry GenAI attribute names read where ours are absent (flat dotted
 * keys, or under an OTLP log record's `attributes`). Only obvious one-to-one
 * mappings: where the conventions have nothing (steps, stop reasons), ours rule.
 */
const OTEL_NAMES: Record<string, readonly string[]> = {
  tool: ['gen_ai.tool.name'],
  model: ['gen_ai.request.model', 'gen_ai.response.model'],
  agent: ['gen_ai.agent.name'],
  args_hash: ['gen_ai.tool.call.arguments_hash'],
  error_class: ['error.type'],
  event: ['event.name', 'event_name'],
  trace_id: ['traceId'],
  span_id: ['spanId'],
  parent_span_id: ['parentSpanId'],
};

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value); // pino-http's numeric req.id
  return undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

const LIMIT_NAMES = new Set<string>(['maxSteps', 'maxTokens', 'maxCostUsd', 'framework_step_cap']);

/** run_finished's `limit`, when it is one this inspector knows: a name, and numbers where they are numbers. */
function runLimit(value: unknown): RunLimit | undefined {
  const source = asRecord(value);
  if (!source || typeof source.name !== 'string' || !LIMIT_NAMES.has(source.name)) return undefined;
  const limit: RunLimit = { name: source.name as RunLimit['name'] };
  const limitValue = num(source.value);
  const spent = num(source.spent);
  if (limitValue !== undefined) limit.value = limitValue;
  if (spent !== undefined) limit.spent = spent;
  return limit;
}

function tokenUsage(get: (key: string) => unknown): TokenUsage | undefined {
  const source = asRecord(get('token_usage'));
  const out: Partial<Record<(typeof TOKEN_FIELDS)[number], number>> = {};
  for (const key of TOKEN_FIELDS) {
    const value = num(source ? source[key] : get(`gen_ai.usage.${key}`));
    if (value !== undefined && value >= 0) out[key] = value;
  }
  // An unknown count stays unknown: a total only when given, or when input and output both are.
  if (out.total_tokens === undefined && out.input_tokens !== undefined && out.output_tokens !== undefined) out.total_tokens = out.input_tokens + out.output_tokens;
  if (out.input_tokens === undefined && out.output_tokens === undefined && out.total_tokens === undefined) return undefined;
  return out;
}

/** `a + b` over counts that may be unknown: unknown only when both are. */
export const addCounts = (a: number | undefined, b: number | undefined): number | undefined => (b === undefined ? a : (a ?? 0) + b);

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

/** The wall-clock time of any parsed log line (event or not), in epoch ms. */
export function lineTime(parsed: unknown): number | undefined {
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const record = parsed as Record<string, unknown>;
  return epochMs(record, typeof record.timestamp === 'string' ? record.timestamp : undefined);
}

/**
 * Reads one parsed JSON line as an event, or undefined when it is not one (the
 * app's own log lines, another schema version, a line without a run or time).
 * Only fields of the expected type are kept: the log is untrusted input.
 */
export function toLogEvent(parsed: unknown): LogEvent | undefined {
  const record = asRecord(parsed);
  if (!record) return undefined;
  // Our own lines (schema agent-log/1) take the fast path: no attributes, no aliases to look for.
  const ours = record.schema === 'agent-log/1';
  const get = ours ? (key: string) => record[key] : otelReader(record);
  const schema = get('schema');
  if (schema !== undefined && schema !== 'agent-log/1') return undefined;
  const event = get('event');
  const runId = str(get('run_id'));
  if (typeof event !== 'string' || runId === undefined) return undefined;
  if (!EVENT_NAMES.has(event) && !(ours && NEWER_EVENT.test(event))) return undefined;
  const timestamp = str(get('timestamp'));
  const time = epochMs(record, timestamp);
  if (time === undefined) return undefined;

  const out: Record<string, unknown> = { event, run_id: runId, seq: num(get('seq')) ?? 0, time };
  for (const key of STRING_FIELDS) {
    const value = str(get(key));
    if (value !== undefined) out[key] = value;
  }
  if (out.finish_reason === undefined) {
    const reasons = get('gen_ai.response.finish_reasons');
    if (Array.isArray(reasons) && str(reasons[0]) !== undefined) out.finish_reason = str(reasons[0]);
  }
  for (const key of NUMBER_FIELDS) {
    const value = num(get(key));
    if (value !== undefined) out[key] = value;
  }
  const usage = tokenUsage(get);
  if (usage) out.token_usage = usage;
  if (get('token_usage_partial') === true) out.token_usage_partial = true;
  const limit = event === 'run_finished' ? runLimit(get('limit')) : undefined;
  if (limit) out.limit = limit;
  (out as Record<symbol, unknown>)[RAW] = record;
  return out as LogEvent;
}

/** Reads a field by our name, else under `attributes`, else by its OpenTelemetry GenAI name. */
function otelReader(record: Record<string, unknown>): (key: string) => unknown {
  const attributes = asRecord(record.attributes);
  const own = (key: string): unknown => {
    const value = record[key];
    return value === undefined && attributes ? attributes[key] : value;
  };
  return (key) => {
    let value = own(key);
    for (const alias of (value === undefined && OTEL_NAMES[key]) || []) {
      value = own(alias);
      if (value !== undefined) break;
    }
    return value;
  };
}
