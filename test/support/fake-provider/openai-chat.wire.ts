import { argumentParts, DEFAULT_USAGE, textChunks, type ScriptedReply, type ScriptedUsage } from './answer.js';
import { hexId, replyModel, type SseEvent, type WireFormat } from './wire.js';

/**
 * OpenAI Chat Completions (`POST /v1/chat/completions`): a `chat.completion`
 * object, or `chat.completion.chunk` events as `data:` lines ending with
 * `data: [DONE]`. Usage is streamed only when the request asked for it with
 * `stream_options.include_usage`, in one last chunk with no choices (every
 * earlier chunk then carries `usage: null`).
 */
export const openaiChat: WireFormat = {
  requestIdHeader: 'x-request-id',
  responseId: (n) => `chatcmpl-${hexId(n, 29)}`,
  requestId: (n) => `req_${hexId(n, 32)}`,

  json(reply, request, ids) {
    const calls = toolCalls(reply);
    const text = textChunks(reply.text).join('');
    return {
      id: ids.responseId,
      object: 'chat.completion',
      created: ids.created,
      model: replyModel(reply, request),
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: reply.text === undefined && calls ? null : text,
            refusal: null,
            annotations: [],
            ...(calls ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.full } })) } : {}),
          },
          logprobs: null,
          finish_reason: finishReason(reply),
        },
      ],
      ...usageField(reply),
      service_tier: 'default',
      system_fingerprint: 'fp_fake',
    };
  },

  events(reply, request, ids) {
    const includeUsage = (request.body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    const head = { id: ids.responseId, object: 'chat.completion.chunk', created: ids.created, model: replyModel(reply, request), service_tier: 'default', system_fingerprint: 'fp_fake' };
    const chunk = (delta: object, finish: string | null = null): SseEvent => ({
      data: { ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) },
    });
    const calls = toolCalls(reply);
    const events: SseEvent[] = [chunk({ role: 'assistant', content: reply.text === undefined && calls ? null : '', refusal: null })];
    for (const text of textChunks(reply.text)) events.push({ ...chunk({ content: text }), firstToken: events.length === 1 });
    calls?.forEach((call, index) => {
      events.push({
        ...chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }),
        firstToken: events.length === 1,
      });
      for (const part of call.chunks) events.push(chunk({ tool_calls: [{ index, function: { arguments: part } }] }));
    });
    if (reply.streamError) {
      // The API reports a failure mid-stream as a `data:` line with an `error` object.
      events.push({ data: { error: { message: reply.streamError.message ?? 'The server had an error', type: reply.streamError.type ?? 'server_error', param: null, code: reply.streamError.code ?? null } } });
      return events;
    }
    events.push(chunk({}, finishReason(reply)));
    const usage = usageField(reply).usage;
    if (includeUsage && usage !== undefined) events.push({ data: { ...head, choices: [], usage } });
    events.push({ data: '[DONE]' });
    return events;
  },

  errorBody(error) {
    return { error: { message: error.message ?? 'fake provider error', type: error.type ?? 'invalid_request_error', param: error.param ?? null, code: error.code ?? null } };
  },
};

function toolCalls(reply: ScriptedReply) {
  return reply.toolCalls?.map((call, i) => ({ id: call.id ?? `call_${hexId(i + 1, 20)}`, name: call.name, ...argumentParts(call) }));
}

function finishReason(reply: ScriptedReply): string {
  return reply.finishReason ?? (reply.toolCalls?.length ? 'tool_calls' : 'stop');
}

function usageField(reply: ScriptedReply): { usage?: unknown } {
  if (reply.wireUsage) return { usage: reply.wireUsage };
  if (reply.usage === null) return {};
  return { usage: wireUsage(reply.usage ?? DEFAULT_USAGE) };
}

/** `prompt_tokens` already includes the cached tokens; `completion_tokens` the reasoning tokens. */
function wireUsage(u: ScriptedUsage) {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoning ?? 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}
