import type { TokenUsage } from './events/agent-event.js';
import { readModelResult } from './providers/index.js';
import { count, isObj, makeUsage } from './providers/model-reading.js';

export { addTokenUsage, isCompleteUsage } from './providers/model-reading.js';

/** Reads token usage from a model call's result (or one streamed chunk of it). */
export type UsageExtractor = (result: unknown) => TokenUsage | undefined;

/**
 * The default extractor: the usage of a result in any format the engine
 * reads (OpenAI Chat Completions and Responses, Anthropic Messages, the
 * Vercel AI SDK), normalised. Never throws. Useful to fall back on in a
 * custom extractor: `tokenUsage: (r) => mine(r) ?? extractTokenUsage(r)`.
 */
export const extractTokenUsage: UsageExtractor = (result) => readModelResult(result).usage;

/**
 * What a user-supplied extractor returned, made safe to log and to sum:
 * non-negative integers only, or nothing at all.
 */
export function normalizeTokenUsage(value: unknown): TokenUsage | undefined {
  if (!isObj(value)) return undefined;
  return makeUsage(count(value.input_tokens), count(value.output_tokens), {
    cache_read_tokens: count(value.cache_read_tokens),
    cache_creation_tokens: count(value.cache_creation_tokens),
    reasoning_tokens: count(value.reasoning_tokens),
  }, count(value.total_tokens));
}
