/**
 * What a test scripts the fake provider to answer, in terms independent of the
 * wire format: each endpoint's module (openai-chat, openai-responses,
 * anthropic-messages) writes it the way that provider's API does, as a JSON
 * body or, when the request asked for `stream: true`, as server-sent events.
 */

/** The endpoints the fake provider serves. */
export type Endpoint = 'openai.chat' | 'openai.responses' | 'anthropic.messages';

/**
 * Token counts as OpenTelemetry's GenAI conventions count them: `input`
 * includes cache reads and cache writes. Each wire module splits them the way
 * its provider reports them (Anthropic's `input_tokens` excludes the cache).
 */
export interface ScriptedUsage {
  input: number;
  output: number;
  cacheRead?: number;
  /** Anthropic only: tokens written to the prompt cache. */
  cacheWrite?: number;
  /** OpenAI only: reasoning tokens, counted inside `output`. */
  reasoning?: number;
}

export interface ScriptedToolCall {
  /** The model's id for the call (`call_…`, `toolu_…`); generated when absent. */
  id?: string;
  name: string;
  /** An object (sent as JSON) or the exact argument string. */
  arguments: unknown;
  /** How the streamed argument string is split; default: two halves. */
  argumentChunks?: string[];
}

/** Pauses, in milliseconds, so latency and time to first token can be checked. */
export interface ScriptedTiming {
  /** Before the status line and headers. */
  headersDelayMs?: number;
  /** Streams: before the first event carrying output (text, reasoning or tool-call arguments). */
  firstTokenDelayMs?: number;
  /** Streams: before every event after the first token. */
  chunkDelayMs?: number;
}

/** A successful answer. */
export interface ScriptedReply extends ScriptedTiming {
  /** The text; an array is streamed one delta per element (a JSON answer joins it). */
  text?: string | string[];
  toolCalls?: ScriptedToolCall[];
  /** Anthropic: a thinking block; Responses: a reasoning item with this summary. */
  reasoning?: string;
  /** `null`: the provider reports no usage at all. Default: `{ input: 12, output: 5 }`. */
  usage?: ScriptedUsage | null;
  /** Sent as the wire's usage object verbatim, instead of the one made from `usage`. */
  wireUsage?: Record<string, unknown>;
  /**
   * Anthropic streams: `message_delta.usage` carries only `output_tokens`
   * (`output`, the documented example) or the cumulative input and cache counts too (`cumulative`).
   */
  deltaUsage?: 'output' | 'cumulative';
  /**
   * The provider's own finish vocabulary: Chat `finish_reason` (`stop`, `length`, `tool_calls`),
   * Anthropic `stop_reason` (`end_turn`, `max_tokens`, `tool_use`), Responses: an
   * `incomplete_details.reason` (`max_output_tokens`), which makes the response `incomplete`.
   */
  finishReason?: string;
  /** The model the response reports. Default: the requested one. */
  model?: string;
  /** The response id (`chatcmpl-…`, `resp_…`, `msg_…`). Generated when absent. */
  id?: string;
  /** The request id header's value. Generated when absent. */
  requestId?: string;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Streams: destroy the connection after this many events (0: right after the headers). */
  cutAfter?: number;
  /** Streams: send this many events, then send nothing more until the client goes away. */
  hangAfter?: number;
  /** Streams: after the output, an error event in the provider's format instead of the end of the answer. */
  streamError?: { type?: string; message?: string; code?: string };
}

/** An error answer: the provider's error body with this status. */
export interface ScriptedError {
  error: {
    status: number;
    /** OpenAI `error.type` / Anthropic `error.type`, e.g. `invalid_request_error`, `rate_limit_error`. */
    type?: string;
    message?: string;
    /** OpenAI `error.code`. */
    code?: string | null;
    param?: string | null;
    requestId?: string;
    headers?: Record<string, string>;
  };
  headersDelayMs?: number;
}

export type ScriptedAnswer = ScriptedReply | ScriptedError;

/** What the answering function is shown of the request. */
export interface RequestView {
  endpoint: Endpoint;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

/** An answer computed from the request (echoing its model, say). */
export type AnswerFn = (request: RequestView) => ScriptedAnswer;

export const isError = (answer: ScriptedAnswer): answer is ScriptedError => 'error' in answer && typeof answer.error === 'object';

/** The text as the stream's deltas. */
export const textChunks = (text: string | string[] | undefined): string[] =>
  text === undefined ? [] : Array.isArray(text) ? text : [text];

/** The tool call's argument string and the deltas it is streamed in. */
export function argumentParts(call: ScriptedToolCall): { full: string; chunks: string[] } {
  const full = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
  if (call.argumentChunks) return { full: call.argumentChunks.join(''), chunks: call.argumentChunks };
  const half = Math.ceil(full.length / 2);
  return { full, chunks: [full.slice(0, half), full.slice(half)].filter((c) => c.length > 0) };
}

export const DEFAULT_USAGE: ScriptedUsage = { input: 12, output: 5 };
