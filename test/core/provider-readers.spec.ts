import { withAgentLlm, withAgentRun } from 'nestjs-agent-logging';
import { PROVIDER_READERS, readModelResult, streamReaderFor } from '../../src/core/providers';
import { installEngine, tick } from '../support/engine-harness';

/** The readers on the documented wire shapes; test/sdk reads the real SDKs' objects through them. */
describe('provider readers', () => {
  it('are listed once each, with a unique name', () => {
    const names = PROVIDER_READERS.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['openai-chat', 'openai-responses', 'anthropic-messages', 'ai-sdk']));
  });

  it('read provider, model, ids, usage and finish reason of each final result', () => {
    const chat = Object.defineProperty(
      { id: 'chatcmpl-1', object: 'chat.completion', model: 'gpt-4o', choices: [{ finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } },
      '_request_id', { value: 'req_1', enumerable: false },
    );
    expect(readModelResult(chat)).toEqual({
      provider: 'openai', model: 'gpt-4o', responseId: 'chatcmpl-1', requestId: 'req_1', finishReason: 'stop',
      usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
    });
    expect(readModelResult({ id: 'resp_1', object: 'response', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, model: 'gpt-4.1' }))
      .toMatchObject({ provider: 'openai', responseId: 'resp_1', finishReason: 'max_output_tokens' });
    expect(readModelResult({ id: 'msg_1', type: 'message', model: 'claude', stop_reason: 'tool_use', usage: { input_tokens: 1, output_tokens: 1 } }))
      .toMatchObject({ provider: 'anthropic', responseId: 'msg_1', finishReason: 'tool_use', usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } });
  });

  it('never call a getter: it could throw, or start or consume something', () => {
    let called = 0;
    const lazy = {
      object: 'chat.completion',
      get usage() {
        called += 1;
        return { prompt_tokens: 1, completion_tokens: 1 };
      },
      finish_reason: 'stop',
    };
    expect(readModelResult(lazy).usage).toBeUndefined();
    expect(called).toBe(0);
    class Result {
      get totalUsage() {
        called += 1;
        return { inputTokens: 1, outputTokens: 1 };
      }
    }
    expect(readModelResult(new Result())).toEqual({});
    expect(called).toBe(0);
  });

  it('follow an Anthropic stream: input and cache counts from message_start, output and stop reason from message_delta, once', () => {
    const reader = streamReaderFor({ type: 'message_start' })!;
    expect(reader.push({ type: 'message_start', message: { id: 'msg_2', model: 'claude-x', usage: { input_tokens: 10, cache_read_input_tokens: 200, cache_creation_input_tokens: 30, output_tokens: 1 } } })).toBe(false);
    expect(reader.push({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })).toBe(false);
    expect(reader.push({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi' } })).toBe(true);
    // A cumulative message_delta repeats the input counts: overwritten, never added.
    reader.push({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { input_tokens: 10, cache_read_input_tokens: 200, output_tokens: 7 } });
    expect(reader.reading()).toEqual({
      provider: 'anthropic', model: 'claude-x', responseId: 'msg_2', finishReason: 'end_turn',
      usage: { input_tokens: 240, output_tokens: 7, total_tokens: 247, cache_read_tokens: 200, cache_creation_tokens: 30 },
    });
  });

  it('follow a Responses stream: usage only from the lifecycle event that carries it', () => {
    const reader = streamReaderFor({ type: 'response.created' })!;
    reader.push({ type: 'response.created', response: { id: 'resp_2', object: 'response', model: 'gpt-4.1', status: 'in_progress', usage: null } });
    expect(reader.reading().usage).toBeUndefined();
    expect(reader.push({ type: 'response.output_text.delta', delta: 'x' })).toBe(true);
    reader.push({ type: 'response.completed', response: { id: 'resp_2', object: 'response', model: 'gpt-4.1', status: 'completed', usage: { input_tokens: 5, output_tokens: 1, total_tokens: 6 } } });
    expect(reader.reading()).toMatchObject({ responseId: 'resp_2', finishReason: 'completed', usage: { input_tokens: 5, output_tokens: 1, total_tokens: 6 } });
  });

  it('follow a Chat Completions stream, summing the usage of several completions (a tool-running helper)', () => {
    const reader = streamReaderFor({ object: 'chat.completion.chunk' })!;
    const chunk = (id: string, extra: object) => ({ id, object: 'chat.completion.chunk', model: 'gpt-4o', ...extra });
    expect(reader.push(chunk('a', { choices: [{ delta: { role: 'assistant', content: '' } }] }))).toBe(false);
    expect(reader.push(chunk('a', { choices: [{ delta: { content: 'x' } }] }))).toBe(true);
    reader.push(chunk('a', { choices: [{ delta: {}, finish_reason: 'tool_calls' }] }));
    reader.push(chunk('a', { choices: [], usage: { prompt_tokens: 10, completion_tokens: 2 } }));
    reader.push(chunk('b', { choices: [{ delta: {}, finish_reason: 'stop' }] }));
    reader.push(chunk('b', { choices: [], usage: { prompt_tokens: 20, completion_tokens: 3 } }));
    expect(reader.reading()).toMatchObject({ responseId: 'a', finishReason: 'stop', usage: { input_tokens: 30, output_tokens: 5, total_tokens: 35 } });
  });

  it('claim no stream they do not know', () => {
    expect(streamReaderFor('token')).toBeUndefined();
    expect(streamReaderFor({ text: 'x' })).toBeUndefined();
  });
});

describe('the request id of a failed model call', () => {
  it('is read from the error\'s requestID field, never through a getter', async () => {
    const { capture, uninstall } = installEngine();
    let called = 0;
    class LazyError extends Error {
      get requestID() {
        called += 1;
        return 'req_lazy';
      }
    }
    const plain = Object.assign(new Error('rate limited'), { requestID: 'req_429' });
    const failing = (error: Error) => withAgentLlm('gpt-4o', async () => {
      throw error;
    });
    try {
      await withAgentRun('fails', async () => {
        await failing(plain)().catch(() => undefined);
        await failing(new LazyError('lazy'))().catch(() => undefined);
      })();
      await tick();
    } finally {
      uninstall();
    }
    const results = capture.events.filter((e) => e.event === 'llm_result');
    expect(results.map((e) => [e.status, e.provider_request_id])).toEqual([['error', 'req_429'], ['error', undefined]]);
    expect(called).toBe(0);
  });
});
