import 'reflect-metadata';
import { ChatAnthropic } from '@langchain/anthropic';
import { tool } from '@langchain/core/tools';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';
import { AgentLlm, AgentRun, AgentTool, MaxStepsExceededError } from 'nestjs-agent-logging';
import { AgentLoggingCallbackHandler } from '../../src/langchain';
import { installEngine, tick } from '../support/engine-harness';
import { startFakeProvider, type FakeProvider, type ScriptedReply } from '../support/fake-provider';
import { eventsOf, timeline, wellFormedRuns } from './support/timeline';

class Boom extends Error {
  override name = 'Boom';
}

let provider: FakeProvider;
let harness: ReturnType<typeof installEngine> | undefined;
beforeAll(async () => {
  provider = await startFakeProvider();
});
afterAll(() => provider.close());
beforeEach(() => provider.reset());
afterEach(() => {
  harness?.uninstall();
  harness = undefined;
});

const handler = new AgentLoggingCallbackHandler();
const model = () => new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'test', configuration: { baseURL: provider.openaiBaseURL }, maxRetries: 0 });

const weatherCall = (id: string, city: string): ScriptedReply => ({
  toolCalls: [{ id, name: 'weather', arguments: { city } }],
  usage: { input: 20, output: 7, cacheRead: 4, reasoning: 2 },
});

const weatherTool = (fn: (input: { city: string }) => Promise<string> = async ({ city }) => `21C in ${city}`) =>
  tool(fn, { name: 'weather', description: 'the weather in a city', schema: z.object({ city: z.string() }) });

type Messages = { messages: { content: unknown; tool_calls?: unknown; getType?: () => string }[] };
/** What the caller reads of an agent's answer: the messages' kinds, contents and tool calls. */
const readable = (state: Messages) =>
  state.messages.map((m) => ({ type: m.getType?.(), content: m.content, toolCalls: (m.tool_calls as { name: string; args: unknown; id: string }[] | undefined)?.map(({ name, args, id }) => ({ name, args, id })) }));

async function twice<T>(script: () => void, call: (withLogging: boolean) => Promise<T>): Promise<{ plain: T; logged: T }> {
  script();
  const plain = await call(false);
  harness = installEngine();
  script();
  const logged = await call(true);
  await tick(5);
  return { plain, logged };
}

describe('the LangChain callback handler', () => {
  it('writes a LangGraph ReAct agent made outside any run as a run of its own: model calls with usage_metadata, tool calls hashed over their input', async () => {
    const { plain, logged } = await twice(
      () => provider.script('openai.chat', weatherCall('call_1', 'Paris'), { text: 'Sunny in Paris', usage: { input: 30, output: 3 } }),
      (withLogging) =>
        // Attached once to the graph: LangChain hands it down to every model and tool call.
        (withLogging
          ? createReactAgent({ llm: model(), tools: [weatherTool()], name: 'weather_graph' }).withConfig({ callbacks: [handler] })
          : createReactAgent({ llm: model(), tools: [weatherTool()], name: 'weather_graph' })
        ).invoke({ messages: [{ role: 'user', content: 'weather in Paris?' }] }),
    );
    expect(readable(logged)).toEqual(readable(plain));
    const [run, ...others] = wellFormedRuns(harness!.capture.events);
    expect(others).toEqual([]);
    expect(run[0].agent).toBe('weather_graph');
    expect(timeline(run)).toEqual([
      'run_started',
      'agent_step llm_call', 'llm_result ok',
      'agent_step tool_call weather', 'tool_call weather', 'tool_result weather ok',
      'agent_step llm_call', 'llm_result ok',
      'run_finished ok completed',
    ]);
    const [first, second] = eventsOf(run, 'llm_result');
    expect(first).toMatchObject({
      model: 'gpt-4o-mini', provider: 'openai', finish_reason: 'tool_calls', response_id: expect.stringMatching(/^chatcmpl-/),
      token_usage: { input_tokens: 20, output_tokens: 7, total_tokens: 27, cache_read_tokens: 4, reasoning_tokens: 2 },
    });
    expect(second).toMatchObject({ finish_reason: 'stop', token_usage: { input_tokens: 30, output_tokens: 3, total_tokens: 33 } });
    expect(eventsOf(run, 'tool_call')[0]).toMatchObject({ tool_call_id: 'call_1', args_hash: harness!.engine.hash({ city: 'Paris' }).hash });
    expect(eventsOf(run, 'tool_result')[0]).toMatchObject({ tool_call_id: 'call_1', result_hash: harness!.engine.hash('21C in Paris').hash });
    expect(run.at(-1)).toMatchObject({ token_usage: { input_tokens: 50, output_tokens: 10, total_tokens: 60, cache_read_tokens: 4, reasoning_tokens: 2 } });
    expect(harness!.capture.raw).not.toContain('Paris');
  });

  it('joins the run it is called in; a decorated service called from a LangChain tool belongs to the tool\'s step', async () => {
    harness = installEngine();
    class Geo {
      @AgentTool('lookup_city')
      async lookup(city: string) {
        return `${city} is in France`;
      }
    }
    class Desk {
      constructor(private readonly geo: Geo) {}
      @AgentRun('weather_desk')
      async answer(question: string) {
        const agent = createReactAgent({ llm: model(), tools: [weatherTool(({ city }) => this.geo.lookup(city))] });
        const state = await agent.invoke({ messages: [{ role: 'user', content: question }] }, { callbacks: [handler] });
        return state.messages.at(-1)!.content;
      }
    }
    provider.script('openai.chat', weatherCall('call_1', 'Lyon'), { text: 'Lyon is in France' });
    await expect(new Desk(new Geo()).answer('where is Lyon?')).resolves.toBe('Lyon is in France');
    await tick(5);
    const runs = wellFormedRuns(harness.capture.events);
    expect(runs).toHaveLength(1);
    const [run] = runs;
    expect(run[0].agent).toBe('weather_desk');
    expect(timeline(run)).toEqual([
      'run_started',
      'agent_step llm_call', 'llm_result ok',
      'agent_step tool_call weather', 'tool_call weather',
      'agent_step tool_call lookup_city', 'tool_call lookup_city', 'tool_result lookup_city ok',
      'tool_result weather ok',
      'agent_step llm_call', 'llm_result ok',
      'run_finished ok completed',
    ]);
    const [weather, lookup] = eventsOf(run, 'tool_call');
    expect(lookup.parent_span_id).toBe(weather.span_id);
  });

  it('a failing tool is a tool_result error; ToolNode hands the error to the model and the run completes', async () => {
    const failing = async (): Promise<string> => {
      throw new Boom('no station near jane.doe@example.com');
    };
    const { plain, logged } = await twice(
      () => provider.script('openai.chat', weatherCall('call_1', 'Nowhere'), { text: 'I could not get the weather' }),
      (withLogging) =>
        createReactAgent({ llm: model(), tools: [weatherTool(failing)] }).invoke(
          { messages: [{ role: 'user', content: 'weather?' }] },
          withLogging ? { callbacks: [handler] } : {},
        ),
    );
    expect(readable(logged)).toEqual(readable(plain));
    const [run] = wellFormedRuns(harness!.capture.events);
    expect(timeline(run)).toEqual([
      'run_started',
      'agent_step llm_call', 'llm_result ok',
      'agent_step tool_call weather', 'tool_call weather', 'tool_result weather error',
      'agent_step llm_call', 'llm_result ok',
      'run_finished ok completed',
    ]);
    const failed = eventsOf(run, 'tool_result')[0];
    expect(failed).toMatchObject({ status: 'error', error_class: 'Boom' });
    expect(failed.error_message).not.toContain('jane.doe@example.com');
    expect(run.at(-1)).toMatchObject({ errors: 1, first_error_step_index: 2 });
  });

  it('LangGraph\'s recursion limit ends the run max_steps; the caller gets the same GraphRecursionError', async () => {
    const { plain, logged } = await twice(
      () => provider.script('openai.chat', weatherCall('call_1', 'Rome'), weatherCall('call_2', 'Rome'), weatherCall('call_3', 'Rome')),
      (withLogging) =>
        createReactAgent({ llm: model(), tools: [weatherTool()] })
          .invoke({ messages: [{ role: 'user', content: 'loop' }] }, { recursionLimit: 4, ...(withLogging ? { callbacks: [handler] } : {}) })
          .catch((e: Error) => ({ name: e.name, message: e.message })),
    );
    expect(logged).toEqual(plain);
    expect(logged).toMatchObject({ name: 'GraphRecursionError' });
    const [run] = wellFormedRuns(harness!.capture.events);
    expect(timeline(run)).toEqual([
      'run_started',
      'agent_step llm_call', 'llm_result ok', 'agent_step tool_call weather', 'tool_call weather', 'tool_result weather ok',
      'agent_step llm_call', 'llm_result ok', 'agent_step tool_call weather', 'tool_call weather', 'tool_result weather ok',
      'run_finished error max_steps',
    ]);
    expect(run.at(-1)).toMatchObject({ error_class: 'GraphRecursionError', limit: { name: 'framework_step_cap' } });
  });

  it('a streamed chat model answer: one model step lasting the stream, with the usage of its last chunk', async () => {
    const read = async (withLogging: boolean) => {
      let text = '';
      const stream = await model().stream('count', withLogging ? { callbacks: [handler] } : {});
      for await (const chunk of stream) text += chunk.content as string;
      return text;
    };
    const { plain, logged } = await twice(
      () => provider.script('openai.chat', { text: ['one', ' two', ' three'], usage: { input: 9, output: 3 }, chunkDelayMs: 5 }),
      read,
    );
    expect(logged).toBe('one two three');
    expect(logged).toBe(plain);
    const [run] = wellFormedRuns(harness!.capture.events);
    expect(run[0].agent).toBe('ChatOpenAI');
    expect(timeline(run)).toEqual(['run_started', 'agent_step llm_call', 'llm_result ok', 'run_finished ok completed']);
    expect(eventsOf(run, 'llm_result')[0]).toMatchObject({ finish_reason: 'stop', token_usage: { input_tokens: 9, output_tokens: 3, total_tokens: 12 } });
  });

  it('an agent invoked from a tool is a sub-agent: a nested run under the tool\'s step', async () => {
    harness = installEngine();
    provider.script(
      'openai.chat',
      { toolCalls: [{ id: 'call_r', name: 'research', arguments: { topic: 'tides' } }] },
      { text: 'tides are moon-made' },
      { text: 'The researcher says: tides are moon-made' },
    );
    const researcher = createReactAgent({ llm: model(), tools: [], name: 'researcher' });
    const research = tool(
      async ({ topic }: { topic: string }) => String((await researcher.invoke({ messages: [{ role: 'user', content: topic }] })).messages.at(-1)!.content),
      { name: 'research', description: 'ask the researcher', schema: z.object({ topic: z.string() }) },
    );
    await createReactAgent({ llm: model(), tools: [research], name: 'orchestrator' }).invoke(
      { messages: [{ role: 'user', content: 'tides?' }] },
      { callbacks: [handler] },
    );
    await tick(5);
    const [parent, child] = wellFormedRuns(harness.capture.events);
    expect(parent[0].agent).toBe('orchestrator');
    expect(child[0]).toMatchObject({ agent: 'researcher', parent_run_id: parent[0].run_id, trace_id: parent[0].trace_id });
    expect(child[0].parent_span_id).toBe(eventsOf(parent, 'tool_call')[0].span_id);
    expect(timeline(child)).toEqual(['run_started', 'agent_step llm_call', 'llm_result ok', 'run_finished ok completed']);
    expect(timeline(parent)).toEqual([
      'run_started',
      'agent_step llm_call', 'llm_result ok',
      'agent_step tool_call research', 'tool_call research', 'tool_result research ok',
      'agent_step llm_call', 'llm_result ok',
      'run_finished ok completed',
    ]);
  });

  it('the module\'s step guard refuses the call past maxSteps: the caller gets MaxStepsExceededError, the run ends max_steps', async () => {
    harness = installEngine({ maxSteps: 2 });
    provider.script('openai.chat', weatherCall('call_1', 'Bern'), weatherCall('call_2', 'Bern'));
    const error = await createReactAgent({ llm: model(), tools: [weatherTool()] })
      .invoke({ messages: [{ role: 'user', content: 'x' }] }, { callbacks: [handler] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MaxStepsExceededError);
    expect(provider.requests).toHaveLength(1);
    await tick(5);
    const [run] = wellFormedRuns(harness.capture.events);
    expect(run.at(-1)).toMatchObject({ status: 'error', stop_reason: 'max_steps', total_steps: 2 });
  });

  it('Anthropic through LangChain: usage_metadata\'s input counts cache reads and writes once, with both itemised', async () => {
    harness = installEngine();
    provider.script('anthropic.messages', { text: 'cached', usage: { input: 100, output: 9, cacheRead: 60, cacheWrite: 30 } });
    const claude = new ChatAnthropic({ model: 'claude-sonnet-4-5', apiKey: 'test', anthropicApiUrl: provider.anthropicBaseURL, maxRetries: 0 });
    await claude.invoke('hi', { callbacks: [handler] });
    await tick(5);
    const [run] = wellFormedRuns(harness.capture.events);
    expect(eventsOf(run, 'llm_result')[0]).toMatchObject({
      model: 'claude-sonnet-4-5', provider: 'anthropic', finish_reason: 'end_turn',
      token_usage: { input_tokens: 100, output_tokens: 9, total_tokens: 109, cache_read_tokens: 60, cache_creation_tokens: 30 },
    });
  });

  it('without the module (no engine installed) the handler writes nothing and the call works', async () => {
    provider.script('openai.chat', { text: 'fine' });
    await expect(model().invoke('hi', { callbacks: [handler] }).then((m) => m.content)).resolves.toBe('fine');
  });
});

describe('LangChain results returned by decorated methods', () => {
  beforeEach(() => {
    harness = installEngine();
  });

  class Model {
    @AgentLlm()
    ask(prompt: string) {
      return model().invoke(prompt);
    }
    @AgentLlm()
    stream(prompt: string) {
      return model().stream(prompt);
    }
    @AgentRun('writer')
    async write(prompt: string) {
      return (await this.ask(prompt)).content;
    }
    @AgentRun('streaming_writer')
    async streamed(prompt: string) {
      let text = '';
      const stream = await this.stream(prompt);
      for await (const chunk of stream) text += chunk.content as string;
      return { text, readable: typeof stream.getReader === 'function' };
    }
  }

  it('an @AgentLlm method returning a model\'s message: usage_metadata and the finish reason', async () => {
    provider.script('openai.chat', { text: 'hello', usage: { input: 40, output: 12, cacheRead: 10, reasoning: 5 } });
    await expect(new Model().write('hi')).resolves.toBe('hello');
    await tick(5);
    const [run] = wellFormedRuns(harness!.capture.events);
    expect(eventsOf(run, 'llm_result')[0]).toMatchObject({
      model: 'gpt-4o-mini', provider: 'openai', finish_reason: 'stop',
      token_usage: { input_tokens: 40, output_tokens: 12, total_tokens: 52, cache_read_tokens: 10, reasoning_tokens: 5 },
    });
  });

  it('an @AgentLlm method returning .stream(): the step lasts the stream, which keeps its own methods, and has the last chunk\'s usage', async () => {
    provider.script('openai.chat', { text: ['a', 'b', 'c'], usage: { input: 8, output: 3 }, chunkDelayMs: 5 });
    await expect(new Model().streamed('letters')).resolves.toEqual({ text: 'abc', readable: true });
    await tick(5);
    const [run] = wellFormedRuns(harness!.capture.events);
    const [step] = eventsOf(run, 'llm_result');
    expect(step).toMatchObject({ status: 'ok', finish_reason: 'stop', token_usage: { input_tokens: 8, output_tokens: 3, total_tokens: 11 } });
    expect(step.time_to_first_token_ms).toEqual(expect.any(Number));
  });
});
