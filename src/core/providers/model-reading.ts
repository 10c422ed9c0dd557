import type { TokenUsage } from '../events/agent-event.js';
import { isValidName } from '../specs.js';

/**
 * What a model call's answer says about itself, as one wire format reports
 * it. Every field is optional: a count, an id or a reason that is not known
 * is absent, never 0 or empty.
 */
export interface ModelReading {
  /** `gen_ai.provider.name`: `openai`, `anthropic`, ... */
  provider?: string;
  /** The model the provider says answered (`gen_ai.response.model`). */
  model?: string;
  /** The provider's id for the answer (`chatcmpl-…`, `resp_…`, `msg_…`). */
  responseId?: string;
  /** The provider's id for the HTTP request, what one quotes to its support (`req_…`). */
  requestId?: string;
  usage?: TokenUsage;
  finishReason?: string;
}

/** Follows one streamed answer, item by item (chunks, events). */
export interface StreamReading {
  /** Takes one item; true when it carried model output (text, reasoning, a tool call): time to first token. */
  push(item: Obj): boolean;
  /** What the items said so far: the whole answer once the stream ended, what was received if it was cut. */
  reading(): ModelReading;
}

/**
 * How one wire format is read: a final result, and a stream of its items.
 * One file per format under `providers/`, listed in `providers/index.ts`.
 * Readers never import an SDK and never throw into the app (the caller
 * guards them); they read plain data fields only, never a getter of the SDK's
 * that could start or consume anything.
 */
export interface ProviderReader {
  /** The wire format's name, for tests and error messages: `openai-chat`. */
  readonly name: string;
  /** Whether a model call's result is in this format. */
  isResult(value: Obj): boolean;
  readResult(value: Obj): ModelReading;
  /** Whether a streamed item is in this format; the first item that is chooses the reader of the stream. */
  isStreamItem?(item: Obj): boolean;
  readStream?(): StreamReading;
  /**
   * For a result that is complete only later, once someone reads it (the AI
   * SDK's `streamText` result): a Promise of its final value, found without
   * reading or consuming anything. Given the raw object, not a data view.
   */
  completion?(value: object): Promise<unknown> | undefined;
}

export type Obj = Record<string, unknown>;

const views = new WeakMap<object, Obj>();

/**
 * The object as readers see it: data properties only (own or inherited),
 * each read inside a try. A getter is never called: it may throw, or start or
 * consume something (a lazy SDK field, a stream's usage behind a Promise), and
 * nothing is read that the caller would not have read. Nested objects are seen
 * the same way.
 */
export function dataView(value: object): Obj {
  let view = views.get(value);
  if (!view) {
    view = new Proxy(value as Obj, {
      get(target, key) {
        try {
          const found = dataField(target, key);
          return typeof found === 'object' && found !== null ? dataView(found) : found;
        } catch {
          return undefined;
        }
      },
    });
    views.set(value, view);
  }
  return view;
}

function dataField(o: object, key: PropertyKey): unknown {
  let current: object | null = o;
  for (let depth = 0; current !== null && depth < 16; depth++) {
    const descriptor = Object.getOwnPropertyDescriptor(current, key);
    if (descriptor) return 'value' in descriptor ? descriptor.value : undefined;
    current = Object.getPrototypeOf(current) as object | null;
  }
  return undefined;
}

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

/** A token count: a finite non-negative number, floored; anything else is unknown. */
export const count = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined;

type Extra = Pick<TokenUsage, 'cache_read_tokens' | 'cache_creation_tokens' | 'reasoning_tokens'>;
const EXTRA_KEYS = ['cache_read_tokens', 'cache_creation_tokens', 'reasoning_tokens'] as const;
const USAGE_KEYS = ['input_tokens', 'output_tokens', 'total_tokens', ...EXTRA_KEYS] as const;

/**
 * A usage record of the counts that are known, or nothing when none of input,
 * output and total is: an unknown count is absent, never 0. `total_tokens` is
 * the provider's when it gave one, else input plus output when both are known.
 */
export function makeUsage(input: number | undefined, output: number | undefined, extra: Extra = {}, total?: number): TokenUsage | undefined {
  const sum = total ?? (input !== undefined && output !== undefined ? input + output : undefined);
  if (input === undefined && output === undefined && sum === undefined) return undefined;
  const usage: TokenUsage = {};
  if (input !== undefined) usage.input_tokens = input;
  if (output !== undefined) usage.output_tokens = output;
  if (sum !== undefined) usage.total_tokens = sum;
  for (const key of EXTRA_KEYS) if (extra[key] !== undefined) usage[key] = extra[key];
  return usage;
}

/** Adds `b` into `a`, each count where some side reported it: a count neither reported stays absent. */
export function addTokenUsage(a: TokenUsage | undefined, b: TokenUsage): TokenUsage {
  if (!a) return { ...b };
  const sum: TokenUsage = {};
  for (const key of USAGE_KEYS) {
    if (a[key] !== undefined || b[key] !== undefined) sum[key] = (a[key] ?? 0) + (b[key] ?? 0);
  }
  return sum;
}

/** True when a usage record has both input and output counts: all a model call is billed for. */
export const isCompleteUsage = (usage: TokenUsage | undefined): boolean => usage?.input_tokens !== undefined && usage.output_tokens !== undefined;

const FINISH_REASON = /^[A-Za-z0-9_.:-]{1,64}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

/** Model output is hostile: only an identifier-like reason reaches the log. */
export const reason = (v: unknown): string | undefined => (typeof v === 'string' && FINISH_REASON.test(v) ? v : undefined);

/** A response or request id, only when it looks like one. */
export const id = (v: unknown): string | undefined => (typeof v === 'string' && ID.test(v) ? v : undefined);

/** A model name, only when it looks like an identifier. */
export const modelName = (v: unknown): string | undefined => (isValidName(v) ? v : undefined);

/**
 * The request id the OpenAI and Anthropic SDKs attach to a parsed result:
 * `_request_id`, a non-enumerable data property copied from the response's
 * request-id header. Reading it reads nothing else.
 */
export const sdkRequestId = (value: Obj): string | undefined => id(value._request_id);
