import type { TokenUsage } from './events/agent-event.js';
import { isValidName } from './specs.js';

/** Reads token usage from a model call's result (or one streamed chunk of it). */
export type UsageExtractor = (result: unknown) => TokenUsage | undefined;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;
const count = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined;

function build(input: number, output: number, extra: Partial<TokenUsage>, total?: number): TokenUsage {
  const usage: TokenUsage = { input_tokens: input, output_tokens: output, total_tokens: total ?? input + output };
  for (const key of ['cache_read_tokens', 'cache_creation_tokens', 'reasoning_tokens'] as const) {
    if (extra[key] !== undefined) usage[key] = extra[key];
  }
  return usage;
}

function fromUsage(u: Obj): TokenUsage | undefined {
  // OpenAI Chat Completions: prompt_tokens already includes cached tokens.
  const prompt = count(u.prompt_tokens);
  const completion = count(u.completion_tokens);
  if (prompt !== undefined || completion !== undefined) {
    const pd = isObj(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
    const cd = isObj(u.completion_tokens_details) ? u.completion_tokens_details : {};
    return build(prompt ?? 0, completion ?? 0, {
      cache_read_tokens: count(pd.cached_tokens),
      reasoning_tokens: count(cd.reasoning_tokens),
    }, count(u.total_tokens));
  }
  // Anthropic Messages (input_tokens excludes cache reads and writes) and OpenAI
  // Responses (input_tokens includes cached tokens, reported in the details).
  const input = count(u.input_tokens);
  const output = count(u.output_tokens);
  if (input !== undefined || output !== undefined) {
    const cacheRead = count(u.cache_read_input_tokens);
    const cacheCreation = count(u.cache_creation_input_tokens);
    const id = isObj(u.input_tokens_details) ? u.input_tokens_details : {};
    const od = isObj(u.output_tokens_details) ? u.output_tokens_details : {};
    // GenAI semantic conventions: input counts input + cache reads + cache creation, once.
    const fullInput = (input ?? 0) + (cacheRead ?? 0) + (cacheCreation ?? 0);
    return build(fullInput, output ?? 0, {
      cache_read_tokens: cacheRead ?? count(id.cached_tokens),
      cache_creation_tokens: cacheCreation,
      reasoning_tokens: count(od.reasoning_tokens),
    });
  }
  // Vercel AI SDK: v5 inputTokens/outputTokens, v4 promptTokens/completionTokens.
  const vIn = count(u.inputTokens) ?? count(u.promptTokens);
  const vOut = count(u.outputTokens) ?? count(u.completionTokens);
  if (vIn !== undefined || vOut !== undefined) {
    return build(vIn ?? 0, vOut ?? 0, {
      cache_read_tokens: count(u.cachedInputTokens),
      reasoning_tokens: count(u.reasoningTokens),
    }, count(u.totalTokens));
  }
  return undefined;
}

/**
 * The default extractor: `result.usage` (or `result.totalUsage`) in the OpenAI,
 * Anthropic or Vercel AI SDK shape, normalised. Never throws.
 */
export const extractTokenUsage: UsageExtractor = (result) => {
  try {
    if (!isObj(result)) return undefined;
    const usage = isObj(result.totalUsage) ? result.totalUsage : result.usage;
    return isObj(usage) ? fromUsage(usage) : undefined;
  } catch {
    return undefined;
  }
};

const FINISH_REASON = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Reads a finish reason from the OpenAI, Anthropic or Vercel AI SDK result shapes. */
export function extractFinishReason(result: unknown): string | undefined {
  try {
    if (!isObj(result)) return undefined;
    const choices = result.choices;
    const first = Array.isArray(choices) && isObj(choices[0]) ? choices[0] : undefined;
    const reason = first?.finish_reason ?? result.stop_reason ?? result.finishReason ?? result.finish_reason;
    // Model output is hostile: only an identifier-like reason reaches the log.
    return typeof reason === 'string' && FINISH_REASON.test(reason) ? reason : undefined;
  } catch {
    return undefined;
  }
}

/** The model name a result reports (`result.model`), only when it looks like an identifier. Never throws. */
export function extractResponseModel(result: unknown): string | undefined {
  try {
    const model = isObj(result) ? result.model : undefined;
    return isValidName(model) ? model : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a user-supplied extractor returned, made safe to log and to sum:
 * non-negative integers only, or nothing at all.
 */
export function normalizeTokenUsage(value: unknown): TokenUsage | undefined {
  if (!isObj(value)) return undefined;
  const input = count(value.input_tokens);
  const output = count(value.output_tokens);
  if (input === undefined && output === undefined) return undefined;
  return build(input ?? 0, output ?? 0, {
    cache_read_tokens: count(value.cache_read_tokens),
    cache_creation_tokens: count(value.cache_creation_tokens),
    reasoning_tokens: count(value.reasoning_tokens),
  }, count(value.total_tokens));
}

/** Adds `b` into `a`, keeping the optional counters only where some step reported them. */
export function addTokenUsage(a: TokenUsage | undefined, b: TokenUsage): TokenUsage {
  if (!a) return { ...b };
  const sum = build(a.input_tokens + b.input_tokens, a.output_tokens + b.output_tokens, {}, a.total_tokens + b.total_tokens);
  for (const key of ['cache_read_tokens', 'cache_creation_tokens', 'reasoning_tokens'] as const) {
    if (a[key] !== undefined || b[key] !== undefined) sum[key] = (a[key] ?? 0) + (b[key] ?? 0);
  }
  return sum;
}
