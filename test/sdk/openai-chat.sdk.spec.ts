import { currentAgentRun, withAgentLlm } from '../../src/core/agent-context';
import type { ScriptedReply } from '../support/fake-provider';
import { collect, errorView, OPENAI_MAJORS, readText, rejectionOf, useSdkHarness } from './support/sdk-harness';

/**
 * OpenAI Chat Completions through the real `openai` SDK (both majors), every
 * documented way of calling and reading it, each compared with the same call
 * undecorated: the caller gets exactly the same, and llm_result says what the
 * answer said.
 */
describe.each(OPENAI_MAJORS)('%s: Chat Completions', (_major, makeClient) => {
  const h = useSdkHarness();
  const client = () => makeClient(h.provider);
  const messages = [{ role: 'user' as const, content: 'refund order 42?' }];
  const reply = (extra: Partial<ScriptedReply> = {}): ScriptedReply => ({
    id: 'chatcmpl-fixed', requestId: 'req_fixed', model: 'gpt-4o-mini-2024-07-18', text: ['Refund ', 'approved'],
    usage: { input: 120, output: 30, cacheRead: 100, reasoning: 12 }, ...extra,
  });
  const exactUsage = { input_tokens: 120, output_tokens: 30, total_tokens: 150, cache_read_tokens: 100, reasoning_tokens: 12 };
  const okResult = {
    status: 'ok', model: 'gpt-4o-mini-2024-07-18', provider: 'openai', response_id: 'chatcmpl-fixed',
    token_usage: exactUsage, finish_reason: 'stop',
  };

  describe('create(), not streamed', () => {
    const create = () => client().chat.completions.create({ model: 'gpt-4o-mini', messages });

    it('await: the very completion, with usage (cached and reasoning), model, ids and finish reason', async () => {
      h.provider.script('openai.chat', reply(), reply());
      const plain = await create();
      const run = await h.inRun(() => h.model(create)());
      expect(JSON.stringify(run.value)).toBe(JSON.stringify(plain));
      expect(run.value._request_id).toBe(plain._request_id);
      expect(run.llm).toEqual([expect.objectContaining({ ...okResult, provider_request_id: 'req_fixed' })]);
      expect(run.llm[0]!.time_to_first_token_ms).toBeUndefined();
      expect(run.finished).toMatchObject({ status: 'ok', stop_reason: 'completed', token_usage: exactUsage });
      expect(run.finished).not.toHaveProperty('token_usage_partial');
    });

    it('returns the SDK\'s APIPromise itself: its class, constructor and methods, unsettled until awaited', async () => {
      h.provider.script('openai.chat', reply(), reply());
      const plainPromise = create();
      await plainPromise;
      await h.inRun(async () => {
        const promise = h.model(create)();
        expect(promise).toBeInstanceOf(plainPromise.constructor);
        expect(promise.constructor).toBe(plainPromise.constructor);
        expect(promise.withResponse).toBe(promise.withResponse);
        await promise;
      });
    });

    it('asResponse() then res.json(): the body is left unread for the caller; the step ends with the response', async () => {
      h.provider.script('openai.chat', reply(), reply());
      const plain = await (await create().asResponse()).json();
      const run = await h.inRun(async () => {
        const response = await h.model(create)().asResponse();
        expect(response.bodyUsed).toBe(false);
        return response.json();
      });
      expect(run.value).toEqual(plain);
      expect(run.llm).toEqual([expect.objectContaining({ status: 'ok', provider_request_id: 'req_fixed' })]);
      // The body is the caller's: what it says is not read, so no usage is claimed, nor a provider a header name would only guess.
      expect(run.llm[0]!.token_usage).toBeUndefined();
      expect(run.llm[0]!.provider).toBeUndefined();
    });

    it('withResponse(): data, response and request_id as undecorated; usage from the data', async () => {
      h.provider.script('openai.chat', reply(), reply());
      const plain = await create().withResponse();
      const run = await h.inRun(async () => {
        const { data, response, request_id } = await h.model(create)().withResponse();
        return { data, status: response.status, request_id, bodyUsed: response.bodyUsed };
      });
      expect(run.value).toEqual({ data: plain.data, status: plain.response.status, request_id: plain.request_id, bodyUsed: plain.response.bodyUsed });
      expect(run.llm).toEqual([expect.objectContaining({ ...okResult, provider_request_id: 'req_fixed' })]);
    });

    it('a method that returns withResponse() itself: the caller gets the SDK\'s very envelope; usage, model and request id from its data', async () => {
      h.provider.script('openai.chat', reply());
      let sdkEnvelope: unknown;
      const complete = h.model(async () => (sdkEnvelope = await create().withResponse()));
      const run = await h.inRun(() => complete());
      expect(run.value).toBe(sdkEnvelope);
      expect(run.llm).toEqual([expect.objectContaining({ ...okResult, provider_request_id: 'req_fixed' })]);
      expect(run.finished.token_usage).toEqual(exactUsage);
    });

    it('a model named in the decorator stays `model`; the one that answered is response_model', async () => {
      h.provider.script('openai.chat', reply());
      const run = await h.inRun(() => withAgentLlm('gpt-4o-mini', create)());
      expect(run.llm[0]).toMatchObject({ model: 'gpt-4o-mini', response_model: 'gpt-4o-mini-2024-07-18' });
      // Named by the answer alone, the model is not written twice.
      h.provider.script('openai.chat', reply());
      const unnamed = await h.inRun(() => h.model(create)());
      expect(unnamed.llm[0]).toMatchObject({ model: 'gpt-4o-mini-2024-07-18' });
      expect(unnamed.llm[0]).not.toHaveProperty('response_model');
    });

    it('tool calls: the finish reason says so', async () => {
      h.provider.script('openai.chat', reply({ text: undefined, toolCalls: [{ id: 'call_1', name: 'refund', arguments: { order: 42 } }] }));
      const run = await h.inRun(() => h.model(create)());
      expect(run.value.choices[0]!.message.tool_calls).toHaveLength(1);
      expect(run.llm[0]).toMatchObject({ status: 'ok', finish_reason: 'tool_calls' });
    });

    it('an error status: the very SDK error reaches the caller; llm_result has its class and request id', async () => {
      const error = { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'Rate limit reached', requestId: 'req_429' };
      h.provider.script('openai.chat', { error }, { error });
      const plain = await rejectionOf(create());
      let seen: unknown;
      const run = await h.inRun(async () => {
        const p = h.model(create)();
        seen = await rejectionOf(p);
        throw seen;
      });
      expect(errorView(seen)).toEqual(errorView(plain));
      expect(run.error).toBe(seen);
      expect(run.llm[0]).toMatchObject({ status: 'error', error_class: 'RateLimitError', provider_request_id: 'req_429' });
      expect(run.finished).toMatchObject({ stop_reason: 'step_error', first_error_step_index: 1 });
    });
  });

  describe('create({ stream: true })', () => {
    const params = { model: 'gpt-4o-mini', messages, stream: true as const, stream_options: { include_usage: true } };
    const stream = () => client().chat.completions.create(params);

    it('for await: the same chunks; usage from the include_usage chunk; latency covers the stream; time to first token', async () => {
      const slow = reply({ firstTokenDelayMs: 80, chunkDelayMs: 40 });
      h.provider.script('openai.chat', slow, slow);
      const plain = await collect(await stream());
      const run = await h.inRun(async () => collect(await h.model(stream)()));
      expect(run.value).toEqual(plain);
      const llm = run.llm[0]!;
      expect(llm).toMatchObject(okResult);
      // Lower bounds only: the fake provider cannot answer sooner than scripted.
      expect(llm.time_to_first_token_ms).toBeGreaterThanOrEqual(75);
      expect(llm.latency_ms).toBeGreaterThanOrEqual(80 + 3 * 40 - 5);
      expect(llm.latency_ms as number).toBeGreaterThan(llm.time_to_first_token_ms as number);
      expect(run.finished.token_usage).toEqual(exactUsage);
    });

    it('without stream_options.include_usage the usage is unknown: absent, never 0', async () => {
      h.provider.script('openai.chat', reply());
      const run = await h.inRun(async () => collect(await h.model(() => client().chat.completions.create({ model: 'm', messages, stream: true }))()));
      expect(run.llm[0]).toMatchObject({ status: 'ok', finish_reason: 'stop', response_id: 'chatcmpl-fixed' });
      expect(run.llm[0]!.token_usage).toBeUndefined();
      expect(run.finished.token_usage).toBeUndefined();
    });

    it('a run summing such a stream and a call with usage says its token_usage is partial', async () => {
      h.provider.script('openai.chat', reply(), reply());
      const run = await h.inRun(async () => {
        await collect(await h.model(() => client().chat.completions.create({ model: 'm', messages, stream: true }))());
        return h.model(() => client().chat.completions.create({ model: 'm', messages }))();
      });
      expect(run.finished).toMatchObject({ token_usage: exactUsage, token_usage_partial: true });
    });

    it('withResponse() then data: the stream is followed, the request id noted', async () => {
      h.provider.script('openai.chat', reply(), reply());
      const plain = await stream().withResponse();
      const plainChunks = await collect(plain.data);
      const run = await h.inRun(async () => {
        const { data, request_id } = await h.model(stream)().withResponse();
        return { chunks: await collect(data), request_id };
      });
      expect(run.value).toEqual({ chunks: plainChunks, request_id: plain.request_id });
      expect(run.llm).toEqual([expect.objectContaining({ ...okResult, provider_request_id: 'req_fixed' })]);
    });

    it('a method that returns withResponse() of a stream: followed to the stream\'s end; the caller gets the envelope\'s fields', async () => {
      const slow = reply({ chunkDelayMs: 40 });
      h.provider.script('openai.chat', slow, slow);
      const plain = await stream().withResponse();
      const plainChunks = await collect(plain.data);
      let sdkEnvelope: typeof plain | undefined;
      const open = h.model(async () => (sdkEnvelope = await stream().withResponse()));
      const run = await h.inRun(async () => {
        const envelope = await open();
        // The same fields, the SDK's own response; the data is the Stream, followed (its class kept).
        expect(Object.keys(envelope)).toEqual(Object.keys(plain));
        expect(envelope.response).toBe(sdkEnvelope!.response);
        expect(envelope.request_id).toBe(sdkEnvelope!.request_id);
        expect(envelope.data).toBeInstanceOf(plain.data.constructor);
        return collect(envelope.data);
      });
      expect(run.value).toEqual(plainChunks);
      expect(run.llm).toEqual([expect.objectContaining({ ...okResult, provider_request_id: 'req_fixed' })]);
      // The step lasted as long as the stream did, not just until the headers came.
      expect(run.llm[0]!.latency_ms).toBeGreaterThanOrEqual(3 * 40 - 5);
    });

    it('toReadableStream(): the same bytes; the step ends when the reader reaches the end', async () => {
      h.provider.script('openai.chat', reply(), reply());
      const plain = await readText((await stream()).toReadableStream() as ReadableStream<Uint8Array>);
      const run = await h.inRun(async () => readText((await h.model(stream)()).toReadableStream() as ReadableStream<Uint8Array>));
      expect(run.value).toBe(plain);
      expect(run.llm[0]).toMatchObject(okResult);
    });

    it('tee(): both branches get every chunk; one model call, ended once', async () => {
      h.provider.script('openai.chat', reply(), reply());
      const [a, b] = (await stream()).tee();
      const plain = await Promise.all([collect(a), collect(b)]);
      const run = await h.inRun(async () => {
        const [left, right] = (await h.model(stream)()).tee();
        return Promise.all([collect(left), collect(right)]);
      });
      expect(run.value).toEqual(plain);
      expect(run.llm).toEqual([expect.objectContaining(okResult)]);
    });

    it('from an async method (a Promise of the Stream, of a helper): followed the same way', async () => {
      h.provider.script('openai.chat', reply(), reply());
      const viaPromise = await h.inRun(async () => collect(await h.model(async () => client().chat.completions.create(params))()));
      const helperViaPromise = await h.inRun(async () => (await h.model(async () => client().chat.completions.stream(params))()).finalChatCompletion());
      expect(viaPromise.llm[0]).toMatchObject(okResult);
      expect(helperViaPromise.llm[0]).toMatchObject(okResult);
    });

    it('the Stream keeps its class, constructor and controller', async () => {
      h.provider.script('openai.chat', reply(), reply());
      const plain = await stream();
      await collect(plain);
      await h.inRun(async () => {
        const s = await h.model(stream)();
        expect(s).toBeInstanceOf(plain.constructor);
        expect(s.constructor).toBe(plain.constructor);
        expect(s.controller).toBeInstanceOf(AbortController);
        return collect(s);
      });
    });

    it('break mid-stream: cancelled, the connection closed, no usage claimed', async () => {
      h.provider.script('openai.chat', reply({ text: ['a', 'b', 'c', 'd'], chunkDelayMs: 20 }));
      const run = await h.inRun(async () => {
        for await (const chunk of await h.model(stream)()) {
          if (chunk.choices[0]?.delta.content === 'a') break;
        }
      });
      await h.provider.lastRequest!.finished;
      expect(h.provider.lastRequest!.closedByClient).toBe(true);
      expect(run.llm[0]).toMatchObject({ status: 'cancelled', response_id: 'chatcmpl-fixed' });
      expect(run.llm[0]!.token_usage).toBeUndefined();
      expect(typeof run.llm[0]!.time_to_first_token_ms).toBe('number');
    });

    it('stream.controller.abort() mid-stream (the SDK then ends quietly): cancelled', async () => {
      h.provider.script('openai.chat', reply({ text: ['a', 'b', 'c'], chunkDelayMs: 20 }));
      const run = await h.inRun(async () => {
        const s = await h.model(stream)();
        const seen: unknown[] = [];
        for await (const chunk of s) {
          seen.push(chunk);
          s.controller.abort();
        }
        return seen.length;
      });
      expect(run.llm[0]).toMatchObject({ status: 'cancelled' });
    });

    it('aborted through the run\'s signal: cancelled', async () => {
      h.provider.script('openai.chat', reply({ text: ['a', 'b'], hangAfter: 2 }));
      const run = await h.inRun(async () => {
        const signal = currentAgentRun()!.signal;
        const controller = new AbortController();
        signal.addEventListener('abort', () => controller.abort());
        const s = await h.model(() => client().chat.completions.create(params, { signal: controller.signal }))();
        for await (const _ of s) controller.abort();
      });
      expect(run.llm[0]).toMatchObject({ status: 'cancelled' });
    });

    it('an error event mid-stream: the SDK\'s error, as undecorated', async () => {
      const failing = reply({ streamError: { message: 'The server had an error', type: 'server_error' } });
      h.provider.script('openai.chat', failing, failing);
      const plain = await rejectionOf(stream().then(collect));
      const run = await h.inRun(async () => collect(await h.model(stream)()));
      expect(errorView(run.error)).toEqual(errorView(plain));
      expect(run.llm[0]).toMatchObject({ status: 'error', error_class: 'APIError' });
    });

    it('the connection cut mid-stream: error, with what was received', async () => {
      h.provider.script('openai.chat', reply({ cutAfter: 3 }));
      const run = await h.inRun(async () => collect(await h.model(stream)()));
      expect(run.error).toBeDefined();
      expect(run.llm[0]).toMatchObject({ status: 'error', response_id: 'chatcmpl-fixed', model: 'gpt-4o-mini-2024-07-18' });
      expect(run.llm[0]!.token_usage).toBeUndefined();
    });
  });

  describe('chat.completions.stream() helper', () => {
    const params = { model: 'gpt-4o-mini', messages, stream_options: { include_usage: true } };
    const helper = () => client().chat.completions.stream(params);

    it('.on(\'content\') and finalChatCompletion(): ok with usage; .on() returns the helper itself', async () => {
      h.provider.script('openai.chat', reply(), reply());
      const plainText: string[] = [];
      const plain = await helper().on('content', (d) => plainText.push(d)).finalChatCompletion();
      const run = await h.inRun(async () => {
        const s = h.model(helper)();
        const text: string[] = [];
        expect(s.on('content', (d) => text.push(d))).toBe(s);
        const final = await s.finalChatCompletion();
        return { text, final };
      });
      expect(run.value).toEqual({ text: plainText, final: plain });
      expect(run.llm).toEqual([expect.objectContaining(okResult)]);
      expect(typeof run.llm[0]!.time_to_first_token_ms).toBe('number');
    });

    it('for await over the helper, and over what .on() returned', async () => {
      h.provider.script('openai.chat', reply(), reply(), reply());
      const plain = await collect(helper());
      const direct = await h.inRun(async () => collect(h.model(helper)()));
      const chained = await h.inRun(async () => collect(h.model(helper)().on('connect', () => undefined)));
      expect(direct.value).toEqual(plain);
      expect(chained.value).toEqual(plain);
      expect(direct.llm[0]).toMatchObject(okResult);
      expect(chained.llm[0]).toMatchObject(okResult);
    });

    it('done(), and toReadableStream() read to the end', async () => {
      h.provider.script('openai.chat', reply(), reply(), reply());
      const plain = await readText(helper().toReadableStream() as ReadableStream<Uint8Array>);
      const done = await h.inRun(async () => h.model(helper)().done());
      const readable = await h.inRun(async () => readText(h.model(helper)().toReadableStream() as ReadableStream<Uint8Array>));
      expect(readable.value).toBe(plain);
      expect(done.llm[0]).toMatchObject(okResult);
      expect(readable.llm[0]).toMatchObject(okResult);
    });

    it.each([false, true])('runTools() (stream: %s): one model step, the usage of its requests summed, the last finish reason', async (streamed) => {
      const first = reply({ id: 'chatcmpl-one', text: undefined, toolCalls: [{ id: 'call_1', name: 'lookup', arguments: { order: 42 } }], usage: { input: 50, output: 10 } });
      const second = reply({ id: 'chatcmpl-two', usage: { input: 70, output: 20 } });
      h.provider.script('openai.chat', first, second, first, second);
      const lookup = { type: 'function' as const, function: { name: 'lookup', function: (args: { order: number }) => ({ status: `order ${args.order} shipped` }), parse: JSON.parse, parameters: { type: 'object', properties: { order: { type: 'number' } } } } };
      const runner = () => client().chat.completions.runTools({ model: 'gpt-4o-mini', messages, tools: [lookup], stream: streamed as false, stream_options: streamed ? { include_usage: true } : undefined } as never);
      const plain = await runner().finalContent();
      const run = await h.inRun(async () => h.model(runner)().finalContent());
      expect(run.value).toBe(plain);
      expect(run.llm).toEqual([expect.objectContaining({
        status: 'ok', finish_reason: 'stop', response_id: 'chatcmpl-one',
        token_usage: { input_tokens: 120, output_tokens: 30, total_tokens: 150, cache_read_tokens: 0, reasoning_tokens: 0 },
      })]);
    });

    it('keeps its class and constructor', async () => {
      h.provider.script('openai.chat', reply(), reply());
      const plain = helper();
      await plain.done();
      await h.inRun(async () => {
        const s = h.model(helper)();
        expect(s).toBeInstanceOf(plain.constructor);
        expect(s.constructor).toBe(plain.constructor);
        await s.done();
      });
    });

    it('break out of for await: cancelled', async () => {
      h.provider.script('openai.chat', reply({ text: ['a', 'b', 'c'], chunkDelayMs: 20 }));
      const run = await h.inRun(async () => {
        for await (const _ of h.model(helper)()) break;
      });
      expect(run.llm[0]).toMatchObject({ status: 'cancelled' });
    });

    it.each([
      ['finalChatCompletion()', (s: ReturnType<typeof helper>) => s.finalChatCompletion()],
      ['done()', (s: ReturnType<typeof helper>) => s.done()],
      ['for await', (s: ReturnType<typeof helper>) => collect(s)],
    ])('an error status, read with %s: the caller\'s error as undecorated; error event, step_error', async (_how, read) => {
      const error = { status: 500, type: 'server_error', message: 'boom', requestId: 'req_500' };
      h.provider.script('openai.chat', { error }, { error });
      const plain = await rejectionOf(read(helper()));
      const run = await h.inRun(async () => read(h.model(helper)()));
      expect(errorView(run.error)).toEqual(errorView(plain));
      expect(run.llm[0]).toMatchObject({ status: 'error', error_class: errorView(plain).class });
      expect(run.finished).toMatchObject({ stop_reason: 'step_error' });
    });
  });
});
