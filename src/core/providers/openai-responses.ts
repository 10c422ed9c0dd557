import type { TokenUsage } from '../events/agent-event.js';
import { count, id, isObj, makeUsage, modelName, reason, sdkRequestId, type ModelReading, type Obj, type ProviderReader, type StreamReading } from './model-reading.js';

/**
 * OpenAI Responses: a `response` object, or a stream of typed events whose
 * lifecycle events (`response.created` … `response.completed`,
 * `response.incomplete`, `response.failed`) carry the response; its `usage`
 * arrives only with the last of them. `input_tokens` includes the cached
 * tokens, `output_tokens` the reasoning tokens.
 *
 * The format has no finish reason: the finish reason written is the
 * `incomplete_details.reason` of an incomplete response (`max_output_tokens`,
 * `content_filter`), else its `status` (`completed`, `failed`, `cancelled`).
 */
export const openaiResponses: ProviderReader = {
  name: 'openai-responses',

  isResult: (v) =>
    v.object === 'response' || (isObj(v.usage) && (v.usage.input_tokens_details !== undefined || v.usage.output_tokens_details !== undefined)),

  readResult: (v) => ({ ...readResponse(v), provider: v.object === 'response' ? 'openai' : undefined, requestId: sdkRequestId(v) }),

  isStreamItem: (item) => typeof item.type === 'string' && item.type.startsWith('response.'),

  readStream(): StreamReading {
    let latest: ModelReading = {};
    return {
      push(event) {
        const type = event.type;
        if (isObj(event.response)) {
          const now = readResponse(event.response);
          latest = { ...latest, ...defined(now) };
        }
        // Every output arrives as a `*.delta` event: text, refusal, reasoning, tool-call arguments, audio.
        return typeof type === 'string' && type.endsWith('.delta');
      },
      reading: () => ({ ...latest, provider: 'openai' }),
    };
  },
};

function readResponse(r: Obj) {
  const incomplete = isObj(r.incomplete_details) ? reason(r.incomplete_details.reason) : undefined;
  const status = reason(r.status);
  return {
    model: modelName(r.model),
    responseId: r.object === 'response' ? id(r.id) : undefined,
    usage: isObj(r.usage) ? usageOf(r.usage) : undefined,
    // An in-progress status is no finish reason.
    finishReason: incomplete ?? (status === 'in_progress' || status === 'queued' ? undefined : status),
  };
}

function usageOf(u: Obj): TokenUsage | undefined {
  const input = isObj(u.input_tokens_details) ? u.input_tokens_details : {};
  const output = isObj(u.output_tokens_details) ? u.output_tokens_details : {};
  return makeUsage(count(u.input_tokens), count(u.output_tokens), {
    cache_read_tokens: count(input.cached_tokens),
    reasoning_tokens: count(output.reasoning_tokens),
  }, count(u.total_tokens));
}

/** The fields that are known, so a later event does not erase what an earlier one said. */
function defined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(o) as (keyof T)[]) if (o[key] !== undefined) out[key] = o[key];
  return out;
}
