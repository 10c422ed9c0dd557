import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import OpenAIv6 from 'openai-v6';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider';

/**
 * The fake provider is only worth testing against if the real SDKs read it as
 * they read the real APIs: their own parsers and stream helpers (which check
 * event order and identity) accept every answer, and report what was scripted.
 */
describe('fake provider, read by the real SDKs', () => {
  let provider: FakeProvider;
  beforeAll(async () => {
    provider = await startFakeProvider();
  });
  afterEach(() => provider.reset());
  afterAll(() => provider.close());

  const openai = () => new OpenAI({ apiKey: 'sk-test', baseURL: provider.openaiBaseURL, maxRetries: 0 });
  const anthropic = () => new Anthropic({ apiKey: 'sk-ant-test', baseURL: provider.anthropicBaseURL, maxRetries: 0 });

  describe.each([
    ['openai 7', (p: FakeProvider) => new OpenAI({ apiKey: 'sk-test', baseURL: p.openaiBaseURL, maxRetries: 0 })],
    ['openai 6', (p: FakeProvider) => new OpenAIv6({ apiKey: 'sk-test', baseURL: p.openaiBaseURL, maxRetries: 0 }) as unknown as OpenAI],
  ])('%s', (_name, make) => {
    it('Chat Completions: JSON with tool calls, cached and reasoning tokens, and the request id', async () => {
      provider.script('openai.chat', {
        toolCalls: [{ name: 'search', arguments: { q: 'refund' } }],
        usage: { input: 100, output: 40, cacheRead: 60, reasoning: 10 },
        model: 'gpt-4o-mini-2024-07-18',
        requestId: 'req_chat_1',
      });
      const completion = await make(provider).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
      expect(completion.choices[0]!.message.tool_calls![0]).toMatchObject({ type: 'function', function: { name: 'search', arguments: '{"q":"refund"}' } });
      expect(completion.usage).toMatchObject({ prompt_tokens: 100, completion_tokens: 40, prompt_tokens_details: { cached_tokens: 60 }, completion_tokens_details: { reasoning_tokens: 10 } });
      expect(completion.model).toBe('gpt-4o-mini-2024-07-18');
      expect(completion._request_id).toBe('req_chat_1');
      expect(provider.lastRequest).toMatchObject({ endpoint: 'openai.chat', stream: false, body: { model: 'gpt-4o-mini' } });
      expect(provider.lastRequest!.headers.authorization).toBe('Bearer sk-test');
    });

    it('Chat Completions: SSE with include_usage, read by the chat.completions.stream() helper', async () => {
      provider.script('openai.chat', { text: ['Hel', 'lo'], toolCalls: [{ name: 'lookup', arguments: { id: 7 } }], usage: { input: 9, output: 4 } });
      const stream = make(provider).chat.completions.stream({ model: 'gpt-4o-mini', messages: [], stream_options: { include_usage: true } });
      const final = await stream.finalChatCompletion();
      expect(final.choices[0]!.message.content).toBe('Hello');
      expect(final.choices[0]!.message.tool_calls![0]).toMatchObject({ function: { arguments: '{"id":7}' } });
      expect(final.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 });
    });

    it('Chat Completions: without include_usage the stream has no usage chunk', async () => {
      provider.script('openai.chat', { text: ['a', 'b'] });
      const stream = await make(provider).chat.completions.create({ model: 'm', messages: [], stream: true });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.map((c) => c.usage)).toEqual([undefined, undefined, undefined, undefined]);
      expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    });

    it('Responses: JSON and SSE through response.completed, with function calls and reasoning', async () => {
      const reply = { text: ['It ', 'is sunny'], reasoning: 'think', toolCalls: [{ name: 'weather', arguments: { city: 'Oslo' } }], usage: { input: 30, output: 12, cacheRead: 10, reasoning: 6 } };
      provider.script('openai.responses', reply, reply);
      const json = await make(provider).responses.create({ model: 'gpt-4.1', input: 'hi' });
      expect(json.output_text).toBe('It is sunny');
      expect(json.usage).toMatchObject({ input_tokens: 30, output_tokens: 12, input_tokens_details: { cached_tokens: 10 }, output_tokens_details: { reasoning_tokens: 6 } });
      const stream = make(provider).responses.stream({ model: 'gpt-4.1', input: 'hi' });
      const types: string[] = [];
      stream.on('event', (e) => types.push(e.type));
      const final = await stream.finalResponse();
      expect(types[0]).toBe('response.created');
      expect(types.at(-1)).toBe('response.completed');
      expect(final.output_text).toBe('It is sunny');
      expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call']);
      expect(final.usage?.total_tokens).toBe(42);
    });

    it('errors: the SDK class, status, body and request id', async () => {
      provider.script('openai.chat', { error: { status: 429, type: 'rate_limit_error', message: 'slow down', code: 'rate_limit_exceeded', requestId: 'req_429' } });
      const error = await make(provider).chat.completions.create({ model: 'm', messages: [] }).catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'rate_limit_error', requestID: 'req_429' });
    });
  });

  it('Anthropic: JSON with tool_use and cache usage', async () => {
    provider.script('anthropic.messages', { toolCalls: [{ name: 'search', arguments: { q: 'x' } }], usage: { input: 240, output: 5, cacheRead: 200, cacheWrite: 30 }, requestId: 'req_ant_1' });
    const message = await anthropic().messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content[0]).toMatchObject({ type: 'tool_use', name: 'search', input: { q: 'x' } });
    expect(message.usage).toMatchObject({ input_tokens: 10, cache_read_input_tokens: 200, cache_creation_input_tokens: 30, output_tokens: 5 });
    expect(message._request_id).toBe('req_ant_1');
    expect(provider.lastRequest!.headers['anthropic-version']).toEqual(expect.any(String));
  });

  it('Anthropic: SSE message_start … message_stop, read by messages.stream()', async () => {
    provider.script('anthropic.messages', { text: ['Hi ', 'there'], reasoning: 'hmm', usage: { input: 50, output: 7, cacheRead: 20 } });
    const stream = anthropic().messages.stream({ model: 'claude', max_tokens: 100, messages: [] });
    const events: string[] = [];
    stream.on('streamEvent', (e) => events.push(e.type));
    const final = await stream.finalMessage();
    expect(events).toEqual([
      'message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage).toMatchObject({ input_tokens: 30, cache_read_input_tokens: 20, output_tokens: 7 });
  });

  it('Anthropic: an error event mid-stream and an error status', async () => {
    provider.script('anthropic.messages', { text: 'x', streamError: { type: 'overloaded_error', message: 'Overloaded' } }, { error: { status: 400, message: 'bad' } });
    const stream = await anthropic().messages.create({ model: 'c', max_tokens: 1, messages: [], stream: true });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const e of stream) seen.push(e.type);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(seen).toContain('content_block_delta');
    const bad = await anthropic().messages.create({ model: 'c', max_tokens: 1, messages: [] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as InstanceType<typeof Anthropic.APIError>).requestID).toMatch(/^req_/);
  });

  it('delays between chunks, a cut connection, and a client abort are seen on both sides', async () => {
    provider.script('openai.chat', { text: ['a', 'b', 'c'], firstTokenDelayMs: 60, chunkDelayMs: 20 }, { text: ['a', 'b'], cutAfter: 2 }, { text: ['a'], hangAfter: 1 });
    const started = performance.now();
    const slow = await openai().chat.completions.create({ model: 'm', messages: [], stream: true });
    for await (const _ of slow) void _;
    expect(performance.now() - started).toBeGreaterThanOrEqual(60 + 2 * 20 - 5);

    const cut = await openai().chat.completions.create({ model: 'm', messages: [], stream: true });
    const error = await (async () => {
      for await (const _ of cut) void _;
    })().catch((e: unknown) => e);
    // undici's "terminated" TypeError, from another realm than the test's.
    expect(error).toMatchObject({ name: 'TypeError', message: 'terminated' });
    expect(provider.requests[1]).toMatchObject({ cut: true, eventsSent: 2 });

    const controller = new AbortController();
    const hung = await openai().chat.completions.create({ model: 'm', messages: [], stream: true }, { signal: controller.signal });
    for await (const _ of hung) {
      controller.abort();
    }
    await provider.requests[2]!.finished;
    expect(provider.requests[2]!.closedByClient).toBe(true);
  });

  it('a request with nothing scripted fails clearly, without retries', async () => {
    const error = await new OpenAI({ apiKey: 'k', baseURL: provider.openaiBaseURL }).chat.completions.create({ model: 'm', messages: [] }).catch((e: unknown) => e);
    expect(String((error as Error).message)).toContain('nothing scripted for openai.chat');
    expect(provider.requests).toHaveLength(1);
  });
});
