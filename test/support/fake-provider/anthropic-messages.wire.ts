import { argumentParts, DEFAULT_USAGE, textChunks, type ScriptedReply, type ScriptedUsage } from './answer.js';
import { hexId, replyModel, type SseEvent, type WireFormat } from './wire.js';

/**
 * Anthropic Messages (`POST /v1/messages`): a `message` object, or the event
 * sequence `message_start` (whose `message.usage` has the input and cache
 * counts), `content_block_start` / `_delta` / `_stop` per block, `ping`,
 * `message_delta` (the stop reason in `delta`, the output count in `usage`),
 * `message_stop`. `input_tokens` excludes cache reads and writes.
 */
export const anthropicMessages: WireFormat = {
  requestIdHeader: 'request-id',
  responseId: (n) => `msg_${hexId(n, 24)}`,
  requestId: (n) => `req_${hexId(n, 24)}`,

  json(reply, request, ids) {
    const usage = usageOf(reply);
    return {
      id: ids.responseId,
      type: 'message',
      role: 'assistant',
      model: replyModel(reply, request),
      content: blocks(reply).map((b) => b.final),
      stop_reason: stopReason(reply),
      stop_sequence: null,
      ...(usage ? { usage: usage.final } : {}),
    };
  },

  events(reply, request, ids) {
    const usage = usageOf(reply);
    const events: SseEvent[] = [];
    const push = (type: string, fields: object, firstToken = false) =>
      events.push({ event: type, data: { type, ...fields }, firstToken: firstToken && !events.some((e) => e.firstToken) });
    push('message_start', {
      message: {
        id: ids.responseId, type: 'message', role: 'assistant', model: replyModel(reply, request), content: [],
        stop_reason: null, stop_sequence: null, ...(usage ? { usage: usage.start } : {}),
      },
    });
    blocks(reply).forEach((block, index) => {
      push('content_block_start', { index, content_block: block.start });
      if (index === 0) push('ping', {});
      for (const delta of block.deltas) push('content_block_delta', { index, delta }, true);
      push('content_block_stop', { index });
    });
    if (reply.streamError) {
      push('error', { error: { type: reply.streamError.type ?? 'overloaded_error', message: reply.streamError.message ?? 'Overloaded' } });
      return events;
    }
    push('message_delta', { delta: { stop_reason: stopReason(reply), stop_sequence: null }, ...(usage ? { usage: usage.delta } : {}) });
    push('message_stop', {});
    return events;
  },

  errorBody(error, ids) {
    return { type: 'error', error: { type: error.type ?? 'invalid_request_error', message: error.message ?? 'fake provider error' }, request_id: ids.requestId };
  },
};

interface Block {
  start: object;
  deltas: object[];
  final: object;
}

function blocks(reply: ScriptedReply): Block[] {
  const out: Block[] = [];
  if (reply.reasoning !== undefined) {
    const signature = 'c2lnbmF0dXJl';
    out.push({
      start: { type: 'thinking', thinking: '', signature: '' },
      deltas: [{ type: 'thinking_delta', thinking: reply.reasoning }, { type: 'signature_delta', signature }],
      final: { type: 'thinking', thinking: reply.reasoning, signature },
    });
  }
  if (reply.text !== undefined || !reply.toolCalls?.length) {
    const chunks = textChunks(reply.text);
    out.push({
      start: { type: 'text', text: '' },
      deltas: chunks.map((text) => ({ type: 'text_delta', text })),
      final: { type: 'text', text: chunks.join('') },
    });
  }
  reply.toolCalls?.forEach((call, i) => {
    const id = call.id ?? `toolu_${hexId(i + 1, 24)}`;
    const { full, chunks } = argumentParts(call);
    out.push({
      start: { type: 'tool_use', id, name: call.name, input: {} },
      deltas: chunks.map((partial_json) => ({ type: 'input_json_delta', partial_json })),
      final: { type: 'tool_use', id, name: call.name, input: JSON.parse(full) as unknown },
    });
  });
  return out;
}

function stopReason(reply: ScriptedReply): string {
  return reply.finishReason ?? (reply.toolCalls?.length ? 'tool_use' : 'end_turn');
}

function usageOf(reply: ScriptedReply): { final: object; start: object; delta: object } | undefined {
  if (reply.wireUsage) return { final: reply.wireUsage, start: reply.wireUsage, delta: reply.wireUsage };
  if (reply.usage === null) return undefined;
  const u: ScriptedUsage = reply.usage ?? DEFAULT_USAGE;
  const cacheRead = u.cacheRead ?? 0;
  const cacheWrite = u.cacheWrite ?? 0;
  const input = {
    input_tokens: u.input - cacheRead - cacheWrite,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
  const cacheCreation = { ephemeral_5m_input_tokens: cacheWrite, ephemeral_1h_input_tokens: 0 };
  return {
    final: { ...input, cache_creation: cacheCreation, output_tokens: u.output, service_tier: 'standard' },
    // The output count so far: the first token is already generated when the stream starts.
    start: { ...input, cache_creation: cacheCreation, output_tokens: 1, service_tier: 'standard' },
    delta: reply.deltaUsage === 'cumulative' ? { ...input, output_tokens: u.output } : { output_tokens: u.output },
  };
}
