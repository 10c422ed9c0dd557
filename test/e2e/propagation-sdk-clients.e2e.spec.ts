import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { agentTraceHeaders, withAgentLlm, withAgentRun } from 'nestjs-agent-logging';
import { capture, settleLogs, useApp } from '../support/boot';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider';

/**
 * The documented one-liners for the model SDKs' clients, with the real SDKs:
 * the request that reaches the provider carries the model step's span and the
 * run, as a service of ours or a gateway in between would read them.
 */
describe('agentTraceHeaders() with the model SDK clients', () => {
  useApp({});
  let provider: FakeProvider;
  beforeAll(async () => {
    provider = await startFakeProvider();
  });
  afterAll(() => provider.close());

  /** Runs `call` as a model step inside a run; the step's span and the run's id, from its events. */
  async function inStep(call: () => Promise<unknown>) {
    capture.clear();
    await withAgentRun('sdk_caller', () => withAgentLlm('gpt-4o-mini', call)())();
    await settleLogs();
    const [run, step] = capture.events;
    return { traceparent: `00-${run.trace_id}-${step.span_id}-01`, baggage: `agent_log.run_id=${run.run_id}` };
  }

  it('per request: OpenAI and Anthropic take them as request options', async () => {
    provider.script('openai.chat', { text: ['ok'] });
    provider.script('anthropic.messages', { text: ['ok'] });
    const openai = new OpenAI({ apiKey: 'sk-test', baseURL: provider.openaiBaseURL, maxRetries: 0 });
    const anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: provider.anthropicBaseURL, maxRetries: 0 });

    const o = await inStep(() => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: agentTraceHeaders() }));
    expect(provider.requests.at(-1)!.headers).toMatchObject(o);
    const a = await inStep(() => anthropic.messages.create({ model: 'claude-sonnet-4', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { headers: agentTraceHeaders() }));
    expect(provider.requests.at(-1)!.headers).toMatchObject(a);
  });

  it("for every call of a client: through its fetch option, keeping the SDK's own headers", async () => {
    provider.script('openai.chat', { text: ['ok'] });
    const openai = new OpenAI({
      apiKey: 'sk-test',
      baseURL: provider.openaiBaseURL,
      maxRetries: 0,
      fetch: (url, init) => fetch(url, { ...init, headers: agentTraceHeaders(init?.headers) }),
    });
    const expected = await inStep(() => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
    const sent = provider.requests.at(-1)!.headers;
    expect(sent).toMatchObject(expected);
    expect(sent.authorization).toBe('Bearer sk-test');
    expect(sent['content-type']).toBe('application/json');
  });
});
