import { count, id, isObj, makeUsage, modelName, reason, sdkRequestId, type Obj, type ProviderReader, type StreamReading } from './model-reading.js';

/**
 * Anthropic Messages: a `message`, or the stream `message_start` (the input
 * and cache counts in `message.usage`), `content_block_*`, `message_delta`
 * (the stop reason in `delta`, the output count in `usage`, sometimes the
 * input and cache counts again: cumulative totals, overwritten, never added),
 * `message_stop`. `input_tokens` excludes cache reads and writes: following
 * the GenAI conventions, the input written counts all three, once.
 */
export const anthropicMessages: ProviderReader = {
  name: 'anthropic-messages',

  // Also a bare `usage: { input_tokens, output_tokens }` (the Responses reader, before this one, took those with details).
  isResult: (v) =>
    v.type === 'message' || (isObj(v.usage) && ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'].some((k) => (v.usage as Obj)[k] !== undefined)),

  readResult: (v) => ({
    provider: v.type === 'message' ? 'anthropic' : undefined,
    model: modelName(v.model),
    responseId: v.type === 'message' ? id(v.id) : undefined,
    requestId: sdkRequestId(v),
    usage: isObj(v.usage) ? usageOf(new Counts().add(v.usage)) : undefined,
    finishReason: reason(v.stop_reason),
  }),

  isStreamItem: (item) => item.type === 'message_start',

  readStream(): StreamReading {
    let model: string | undefined;
    let responseId: string | undefined;
    let finishReason: string | undefined;
    const counts = new Counts();
    return {
      push(event) {
        switch (event.type) {
          case 'message_start': {
            const message = isObj(event.message) ? event.message : {};
            model ??= modelName(message.model);
            responseId ??= id(message.id);
            if (isObj(message.usage)) counts.add(message.usage);
            return false;
          }
          case 'message_delta':
            if (isObj(event.delta)) finishReason = reason(event.delta.stop_reason) ?? finishReason;
            if (isObj(event.usage)) counts.add(event.usage);
            return false;
          default:
            return event.type === 'content_block_delta';
        }
      },
      reading: () => ({ provider: 'anthropic', model, responseId, usage: usageOf(counts), finishReason }),
    };
  },
};

/** The latest value of each counter the provider sent (they are totals so far). */
class Counts {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheCreation?: number;

  add(u: Obj): this {
    this.input = count(u.input_tokens) ?? this.input;
    this.output = count(u.output_tokens) ?? this.output;
    this.cacheRead = count(u.cache_read_input_tokens) ?? this.cacheRead;
    this.cacheCreation = count(u.cache_creation_input_tokens) ?? this.cacheCreation;
    return this;
  }
}

function usageOf(c: Counts) {
  const input = c.input === undefined ? undefined : c.input + (c.cacheRead ?? 0) + (c.cacheCreation ?? 0);
  return makeUsage(input, c.output, { cache_read_tokens: c.cacheRead, cache_creation_tokens: c.cacheCreation });
}
