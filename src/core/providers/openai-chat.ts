import type { TokenUsage } from '../events/agent-event.js';
import { addTokenUsage, count, id, isObj, makeUsage, modelName, reason, sdkRequestId, type Obj, type ProviderReader, type StreamReading } from './model-reading.js';

/**
 * OpenAI Chat Completions: a `chat.completion`, or a stream of
 * `chat.completion.chunk`s. `prompt_tokens` already includes the cached
 * tokens, `completion_tokens` the reasoning tokens. A stream carries usage only
 * when the request set `stream_options.include_usage`, in a last chunk with no
 * choices; without it a streamed answer's usage is unknown. A stream may
 * also carry whole completions (the SDK helpers' `chatCompletion` events),
 * read the same way: usage is kept per completion id, so a completion and its
 * own chunks are counted once, and a tool runner's requests are summed. Also read: the
 * many OpenAI-compatible servers that speak this format.
 */
export const openaiChat: ProviderReader = {
  name: 'openai-chat',

  isResult: (v) =>
    v.object === 'chat.completion' || Array.isArray(v.choices) || (isObj(v.usage) && (v.usage.prompt_tokens !== undefined || v.usage.completion_tokens !== undefined)),

  readResult: (v) => ({
    provider: v.object === 'chat.completion' ? 'openai' : undefined,
    model: modelName(v.model),
    responseId: v.object === 'chat.completion' ? id(v.id) : undefined,
    requestId: sdkRequestId(v),
    usage: isObj(v.usage) ? usageOf(v.usage) : undefined,
    finishReason: firstChoiceFinish(v),
  }),

  // A tool runner's items are whole completions, one per request.
  isStreamItem: (item) => item.object === 'chat.completion.chunk' || item.object === 'chat.completion',

  readStream(): StreamReading {
    let model: string | undefined;
    let responseId: string | undefined;
    let finishReason: string | undefined;
    // A tool-running helper streams several completions in a row: each reports its own usage once.
    const usageById = new Map<string, TokenUsage>();
    return {
      push(chunk) {
        model ??= modelName(chunk.model);
        const chunkId = id(chunk.id);
        responseId ??= chunkId;
        if (isObj(chunk.usage)) {
          const usage = usageOf(chunk.usage);
          if (usage) usageById.set(chunkId ?? '', usage);
        }
        finishReason = firstChoiceFinish(chunk) ?? finishReason;
        return Array.isArray(chunk.choices) && chunk.choices.some(carriesOutput);
      },
      reading() {
        let usage: TokenUsage | undefined;
        for (const u of usageById.values()) usage = addTokenUsage(usage, u);
        return { provider: 'openai', model, responseId, usage, finishReason };
      },
    };
  },
};

function usageOf(u: Obj): TokenUsage | undefined {
  const prompt = isObj(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  const completion = isObj(u.completion_tokens_details) ? u.completion_tokens_details : {};
  return makeUsage(count(u.prompt_tokens), count(u.completion_tokens), {
    cache_read_tokens: count(prompt.cached_tokens),
    reasoning_tokens: count(completion.reasoning_tokens),
  }, count(u.total_tokens));
}

function firstChoiceFinish(v: Obj): string | undefined {
  const first = Array.isArray(v.choices) ? (v.choices[0] as unknown) : undefined;
  return isObj(first) ? reason(first.finish_reason) : undefined;
}

/** A delta with text, a refusal, reasoning (compatible servers) or a tool call. */
function carriesOutput(choice: unknown): boolean {
  const delta = isObj(choice) ? choice.delta : undefined;
  if (!isObj(delta)) return false;
  const nonEmpty = (s: unknown) => typeof s === 'string' && s.length > 0;
  return nonEmpty(delta.content) || nonEmpty(delta.refusal) || nonEmpty(delta.reasoning_content) || nonEmpty(delta.reasoning)
    || (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) || isObj(delta.audio);
}
