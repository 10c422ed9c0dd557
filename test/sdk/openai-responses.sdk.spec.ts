import type { ScriptedReply } from '../support/fake-provider';
import { collect, errorView, OPENAI_MAJORS, rejectionOf, useSdkHarness } from './support/sdk-harness';

/** OpenAI Responses through the real `openai` SDK (both majors), compared with the same calls undecorated. */
describe.each(OPENAI_MAJORS)('%s: Responses', (_major, makeClient) => {
  const h = useSdkHarness();
  const client = () => makeClient(h.provider);
  const reply = (extra: Partial<ScriptedReply> = {}): ScriptedReply => ({
    id: 'resp_fixed', requestId: 'req_resp', model: 'gpt-4.1-2025-04-14', text: ['Order ', 'shipped'],
    usage: { input: 300, output: 40, cacheRead: 200, reasoning: 16 }, ...extra,
  });
  const exactUsage = { input_tokens: 300, output_tokens: 40, total_tokens: 340, cache_read_tokens: 200, reasoning_tokens: 16 };
  const okResult = { status: 'ok', model: 'gpt-4.1-2025-04-14', provider: 'openai', response_id: 'resp_fixed', token_usage: exactUsage, finish_reason: 'completed' };
  const params = { model: 'gpt-4.1', input: 'where is order 42?' };

  it('create(): the very response, usage with cached and reasoning tokens, request id', async () => {
    h.provider.script('openai.responses', reply(), reply());
    const plain = await client().responses.create(params);
    const run = await h.inRun(() => h.model(() => client().responses.create(params))());
    expect(JSON.stringify(run.value)).toBe(JSON.stringify(plain));
    expect(run.value.output_text).toBe(plain.output_text);
    expect(run.llm).toEqual([expect.objectContaining({ ...okResult, provider_request_id: 'req_resp' })]);
  });

  it('an incomplete response: its reason is the finish reason', async () => {
    h.provider.script('openai.responses', reply({ finishReason: 'max_output_tokens' }));
    const run = await h.inRun(() => h.model(() => client().responses.create(params))());
    expect(run.llm[0]).toMatchObject({ status: 'ok', finish_reason: 'max_output_tokens' });
  });

  it('create({ stream: true }), for await: usage from response.completed; time to first token', async () => {
    const slow = reply({ firstTokenDelayMs: 60, chunkDelayMs: 10, toolCalls: [{ name: 'track', arguments: { order: 42 } }] });
    h.provider.script('openai.responses', slow, slow);
    const stream = () => client().responses.create({ ...params, stream: true });
    const plain = await collect(await stream());
    const run = await h.inRun(async () => collect(await h.model(stream)()));
    expect(run.value).toEqual(plain);
    expect(run.llm[0]).toMatchObject(okResult);
    expect(run.llm[0]!.time_to_first_token_ms).toBeGreaterThanOrEqual(55);
    expect(run.llm[0]!.latency_ms).toBeGreaterThanOrEqual(60);
  });

  it('create({ stream: true }) cut before response.completed: error, no usage claimed', async () => {
    h.provider.script('openai.responses', reply({ cutAfter: 5 }));
    const run = await h.inRun(async () => collect(await h.model(() => client().responses.create({ ...params, stream: true }))()));
    expect(run.llm[0]).toMatchObject({ status: 'error', response_id: 'resp_fixed', model: 'gpt-4.1-2025-04-14' });
    expect(run.llm[0]!.token_usage).toBeUndefined();
  });

  describe('responses.stream() helper', () => {
    const helper = () => client().responses.stream(params);

    it('.on(\'response.output_text.delta\') and finalResponse(): the same; ok with usage', async () => {
      h.provider.script('openai.responses', reply(), reply());
      const plainDeltas: string[] = [];
      const plain = await helper().on('response.output_text.delta', (e) => plainDeltas.push(e.delta)).finalResponse();
      const run = await h.inRun(async () => {
        const s = h.model(helper)();
        const deltas: string[] = [];
        expect(s.on('response.output_text.delta', (e) => deltas.push(e.delta))).toBe(s);
        return { deltas, final: await s.finalResponse() };
      });
      expect(JSON.stringify(run.value)).toBe(JSON.stringify({ deltas: plainDeltas, final: plain }));
      expect(run.llm).toEqual([expect.objectContaining(okResult)]);
      expect(typeof run.llm[0]!.time_to_first_token_ms).toBe('number');
    });

    it('for await and done()', async () => {
      h.provider.script('openai.responses', reply(), reply(), reply());
      const plain = await collect(helper());
      const iterated = await h.inRun(async () => collect(h.model(helper)()));
      const done = await h.inRun(async () => h.model(helper)().done());
      expect(iterated.value).toEqual(plain);
      for (const run of [iterated, done]) expect(run.llm[0]).toMatchObject(okResult);
    });

    it('abort() mid-stream: cancelled', async () => {
      h.provider.script('openai.responses', reply({ text: ['a', 'b', 'c'], hangAfter: 5 }));
      const run = await h.inRun(async () => {
        const s = h.model(helper)();
        s.on('response.output_text.delta', () => s.abort());
        await s.done().catch(() => undefined);
      });
      expect(run.llm[0]).toMatchObject({ status: 'cancelled' });
      expect(run.llm[0]!.token_usage).toBeUndefined();
    });

    it('an error event mid-stream: the caller\'s error, as undecorated; error event', async () => {
      const failing = reply({ streamError: { code: 'server_error', message: 'The server had an error' } });
      h.provider.script('openai.responses', failing, failing);
      const plain = await rejectionOf(helper().finalResponse());
      const run = await h.inRun(async () => h.model(helper)().finalResponse());
      expect(errorView(run.error)).toEqual(errorView(plain));
      expect(run.llm[0]).toMatchObject({ status: 'error' });
      expect(run.finished).toMatchObject({ stop_reason: 'step_error' });
    });
  });
});
