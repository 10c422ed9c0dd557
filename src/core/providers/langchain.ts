import { count, id, isObj, makeUsage, modelName, reason, type ModelReading, type Obj, type ProviderReader, type StreamReading } from './model-reading.js';

/**
 * LangChain's chat model messages (`AIMessage`, and the `AIMessageChunk`s of
 * `.stream()`): `usage_metadata`, whose `input_tokens` already sums every kind
 * of input, cache reads and writes included (the GenAI rule), itemised in
 * `input_token_details` (`cache_read`, `cache_creation`), and reasoning in
 * `output_token_details.reasoning`; `response_metadata` has the provider's
 * finish reason (`finish_reason` from OpenAI, `stop_reason` from Anthropic),
 * the model and the provider. A stream's usage arrives on its last chunk.
 */
export const langchain: ProviderReader = {
  name: 'langchain',

  isResult: (v) => isObj(v.usage_metadata) || (isObj(v.response_metadata) && 'tool_calls' in v),

  readResult: (v) => readMessage(v),

  isStreamItem: (item) => isObj(item.response_metadata) && 'tool_call_chunks' in item,

  readStream(): StreamReading {
    let latest: ModelReading = {};
    return {
      push(chunk) {
        const now = readMessage(chunk);
        for (const [key, value] of Object.entries(now)) if (value !== undefined) (latest as Obj)[key] = value;
        const content = chunk.content;
        return (typeof content === 'string' && content.length > 0) || (Array.isArray(chunk.tool_call_chunks) && chunk.tool_call_chunks.length > 0);
      },
      reading: () => latest,
    };
  },
};

function readMessage(v: Obj): ModelReading {
  const meta = isObj(v.response_metadata) ? v.response_metadata : {};
  const u = isObj(v.usage_metadata) ? v.usage_metadata : undefined;
  const input = isObj(u?.input_token_details) ? u.input_token_details : {};
  const output = isObj(u?.output_token_details) ? u.output_token_details : {};
  return {
    usage: u && makeUsage(count(u.input_tokens), count(u.output_tokens), {
      cache_read_tokens: count(input.cache_read),
      cache_creation_tokens: count(input.cache_creation),
      reasoning_tokens: count(output.reasoning),
    }, count(u.total_tokens)),
    finishReason: reason(meta.finish_reason ?? meta.stop_reason),
    model: modelName(meta.model_name ?? meta.model),
    provider: reason(meta.model_provider),
    // LangChain names a message it has no id for `run-<its run id>`: not the provider's.
    responseId: typeof v.id === 'string' && !v.id.startsWith('run-') ? id(v.id) : undefined,
  };
}
