import { argumentParts, DEFAULT_USAGE, textChunks, type ScriptedReply, type ScriptedUsage } from './answer.js';
import { hexId, replyModel, type AnswerIds, type SseEvent, type WireFormat } from './wire.js';
import type { RequestView } from './answer.js';

/**
 * OpenAI Responses (`POST /v1/responses`): a `response` object, or typed
 * events (`event:` and `data:` with `type` and `sequence_number`) from
 * `response.created` through `response.completed` (or `response.incomplete`),
 * whose `response.usage` is the only place a stream reports usage.
 */
export const openaiResponses: WireFormat = {
  requestIdHeader: 'x-request-id',
  responseId: (n) => `resp_${hexId(n, 48)}`,
  requestId: (n) => `req_${hexId(n, 32)}`,

  json(reply, request, ids) {
    return response(reply, request, ids, 'final', outputItems(reply, ids));
  },

  events(reply, request, ids) {
    const items = outputItems(reply, ids);
    const events: SseEvent[] = [];
    const push = (type: string, fields: object, firstToken = false) =>
      events.push({ event: type, data: { type, ...fields, sequence_number: events.length }, firstToken: firstToken && !events.some((e) => e.firstToken) });
    push('response.created', { response: response(reply, request, ids, 'in_progress', []) });
    push('response.in_progress', { response: response(reply, request, ids, 'in_progress', []) });
    items.forEach((item, output_index) => {
      if (item.type === 'reasoning') {
        push('response.output_item.added', { output_index, item: { ...item, summary: [] } });
        const part = { type: 'summary_text', text: '' };
        push('response.reasoning_summary_part.added', { item_id: item.id, output_index, summary_index: 0, part });
        push('response.reasoning_summary_text.delta', { item_id: item.id, output_index, summary_index: 0, delta: reply.reasoning, obfuscation: 'x' }, true);
        push('response.reasoning_summary_text.done', { item_id: item.id, output_index, summary_index: 0, text: reply.reasoning });
        push('response.reasoning_summary_part.done', { item_id: item.id, output_index, summary_index: 0, part: { type: 'summary_text', text: reply.reasoning } });
      } else if (item.type === 'message') {
        push('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', content: [] } });
        push('response.content_part.added', { item_id: item.id, output_index, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
        for (const delta of textChunks(reply.text)) {
          push('response.output_text.delta', { item_id: item.id, output_index, content_index: 0, delta, logprobs: [], obfuscation: 'x' }, true);
        }
        const text = textChunks(reply.text).join('');
        push('response.output_text.done', { item_id: item.id, output_index, content_index: 0, text, logprobs: [] });
        push('response.content_part.done', { item_id: item.id, output_index, content_index: 0, part: { type: 'output_text', text, annotations: [], logprobs: [] } });
      } else {
        const call = reply.toolCalls![item.index as number]!;
        push('response.output_item.added', { output_index, item: { ...item, arguments: '', status: 'in_progress' } }, true);
        for (const delta of argumentParts(call).chunks) {
          push('response.function_call_arguments.delta', { item_id: item.id, output_index, delta, obfuscation: 'x' });
        }
        push('response.function_call_arguments.done', { item_id: item.id, output_index, name: item.name, arguments: item.arguments });
      }
      push('response.output_item.done', { output_index, item: publicItem(item) });
    });
    if (reply.streamError) {
      push('error', { code: reply.streamError.code ?? 'server_error', message: reply.streamError.message ?? 'The server had an error', param: null });
      return events;
    }
    const final = response(reply, request, ids, 'final', items);
    push(reply.finishReason ? 'response.incomplete' : 'response.completed', { response: final });
    return events;
  },

  errorBody(error) {
    return { error: { message: error.message ?? 'fake provider error', type: error.type ?? 'invalid_request_error', param: error.param ?? null, code: error.code ?? null } };
  },
};

type Item = Record<string, unknown> & { type: string; id: string };

function outputItems(reply: ScriptedReply, ids: AnswerIds): Item[] {
  const items: Item[] = [];
  const suffix = ids.responseId.slice(-12);
  if (reply.reasoning !== undefined) {
    items.push({ type: 'reasoning', id: `rs_${suffix}`, summary: [{ type: 'summary_text', text: reply.reasoning }] });
  }
  if (reply.text !== undefined || !reply.toolCalls?.length) {
    const text = textChunks(reply.text).join('');
    items.push({ type: 'message', id: `msg_${suffix}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] });
  }
  reply.toolCalls?.forEach((call, index) => {
    items.push({
      type: 'function_call',
      id: `fc_${suffix}${index}`,
      call_id: call.id ?? `call_${hexId(index + 1, 20)}`,
      name: call.name,
      arguments: argumentParts(call).full,
      status: 'completed',
      index,
    });
  });
  return items;
}

/** The item without the fake's own bookkeeping. */
function publicItem(item: Item): Item {
  const { index: _index, ...rest } = item;
  return rest as Item;
}

function response(reply: ScriptedReply, request: RequestView, ids: AnswerIds, phase: 'in_progress' | 'final', items: Item[]) {
  const final = phase === 'final';
  const incomplete = final && reply.finishReason !== undefined;
  return {
    id: ids.responseId,
    object: 'response',
    created_at: ids.created,
    status: final ? (incomplete ? 'incomplete' : 'completed') : 'in_progress',
    background: false,
    completed_at: final && !incomplete ? ids.created + 1 : null,
    error: null,
    incomplete_details: incomplete ? { reason: reply.finishReason } : null,
    instructions: null,
    max_output_tokens: null,
    model: replyModel(reply, request),
    output: items.map(publicItem),
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: true,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: final ? usageOf(reply) : null,
    user: null,
    metadata: {},
  };
}

function usageOf(reply: ScriptedReply): unknown {
  if (reply.wireUsage) return reply.wireUsage;
  if (reply.usage === null) return null;
  return wireUsage(reply.usage ?? DEFAULT_USAGE);
}

/** `input_tokens` includes the cached tokens; `output_tokens` the reasoning tokens. */
function wireUsage(u: ScriptedUsage) {
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cacheRead ?? 0 },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
    total_tokens: u.input + u.output,
  };
}
