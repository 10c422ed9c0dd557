import { streamTextCompletion } from './ai-sdk-stream.js';
import { count, id, isObj, makeUsage, modelName, reason, type Obj, type ProviderReader } from './model-reading.js';

/**
 * The Vercel AI SDK's results (`generateText`): `usage` (one step) or
 * `totalUsage` (all steps), as `inputTokens` / `outputTokens` (v5 and later)
 * or `promptTokens` / `completionTokens` (v4), and `finishReason`. From v6 on
 * (`ai` 7 included) `inputTokens` already counts cache reads and writes (the
 * GenAI rule), itemised in `inputTokenDetails`, and `outputTokens` counts
 * reasoning, itemised in `outputTokenDetails`; v5 had `cachedInputTokens` and
 * `reasoningTokens` beside them. The `response` (id, model) is read when it is
 * a plain field, as in a telemetry event, never through a result's getter.
 */
export const aiSdk: ProviderReader = {
  name: 'ai-sdk',

  isResult: (v) => isUsage(v.totalUsage) || isUsage(v.usage) || typeof v.finishReason === 'string',

  readResult(v) {
    const u = isUsage(v.totalUsage) ? v.totalUsage : isUsage(v.usage) ? v.usage : undefined;
    // A generateText result's finishReason and response are getters; its steps are data.
    const steps = Array.isArray(v.steps) ? v.steps : [];
    const last = isObj(steps[steps.length - 1]) ? (steps[steps.length - 1] as Obj) : {};
    const response = isObj(v.response) ? v.response : isObj(last.response) ? last.response : {};
    return {
      usage: u ? usageOf(u) : undefined,
      finishReason: reason(v.finishReason ?? last.finishReason),
      responseId: id(response.id),
      model: modelName(response.modelId),
    };
  },

  completion: streamTextCompletion,
};

const isUsage = (u: unknown): u is Obj =>
  isObj(u) && (u.inputTokens !== undefined || u.outputTokens !== undefined || u.promptTokens !== undefined || u.completionTokens !== undefined);

function usageOf(u: Obj) {
  const input = isObj(u.inputTokenDetails) ? u.inputTokenDetails : {};
  const output = isObj(u.outputTokenDetails) ? u.outputTokenDetails : {};
  return makeUsage(count(u.inputTokens) ?? count(u.promptTokens), count(u.outputTokens) ?? count(u.completionTokens), {
    cache_read_tokens: count(input.cacheReadTokens) ?? count(u.cachedInputTokens),
    cache_creation_tokens: count(input.cacheWriteTokens),
    reasoning_tokens: count(output.reasoningTokens) ?? count(u.reasoningTokens),
  }, count(u.totalTokens));
}
