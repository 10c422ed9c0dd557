import { count, isObj, makeUsage, reason, type Obj, type ProviderReader } from './model-reading.js';

/**
 * The Vercel AI SDK's results (`generateText`): `usage` (one step) or
 * `totalUsage` (all steps), as `inputTokens` / `outputTokens` (v5 and later)
 * or `promptTokens` / `completionTokens` (v4), and `finishReason`.
 */
export const aiSdk: ProviderReader = {
  name: 'ai-sdk',

  isResult: (v) => isUsage(v.totalUsage) || isUsage(v.usage) || typeof v.finishReason === 'string',

  readResult(v) {
    const u = isUsage(v.totalUsage) ? v.totalUsage : isUsage(v.usage) ? v.usage : undefined;
    return { usage: u ? usageOf(u) : undefined, finishReason: reason(v.finishReason) };
  },
};

const isUsage = (u: unknown): u is Obj =>
  isObj(u) && (u.inputTokens !== undefined || u.outputTokens !== undefined || u.promptTokens !== undefined || u.completionTokens !== undefined);

function usageOf(u: Obj) {
  return makeUsage(count(u.inputTokens) ?? count(u.promptTokens), count(u.outputTokens) ?? count(u.completionTokens), {
    cache_read_tokens: count(u.cachedInputTokens),
    reasoning_tokens: count(u.reasoningTokens),
  }, count(u.totalTokens));
}
