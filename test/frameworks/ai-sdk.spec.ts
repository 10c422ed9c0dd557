import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { AgentLlm, AgentRun, AgentTool, MaxStepsExceededError } from 'nestjs-agent-logging';
import { agentLoggingTelemetry } from '../../src/ai-sdk';
import { cliJson } from '../cli/support/produce-log';
import { installEngine, tick } from '../support/engine-harness';
import { startFakeProvider, type FakeProvider, type ScriptedReply } from '../support/fake-provider';
import { ai, createAnthropic, createOpenAI } from './support/ai-sdk';
import { eventsOf, timeline, wellFormedRuns } from './support/timeline';

class Boom extends Error {
  override name = 'Boom';
}

let provider: FakeProvider;
let harness: ReturnType<typeof installEngine>;
beforeAll(async () => {
  provider = await startFakeProvider();
});
afterAll(() => provider.close());
beforeEach(() => provider.reset());
afterEach(() => harness?.uninstall());

const telemetry = agentLoggingTelemetry();
const openai = () => createOpenAI({ apiKey: 'test', baseURL: provider.openaiBaseURL });

const weatherCall = (id: string, city: string): ScriptedReply => ({
  toolCalls: [{ id, name: 'weather', arguments: { city } }],
  usage: { input: 20, output: 7, cacheRead: 4, reasoning: 2 },
});

const weatherTool = (execute: (input: { city: string }) => Promise<unknown> = async ({ city }) => ({ city, celsius: 21 })) =>
  ai.tool({ description: 'the weather in a city', inputSchema: z.object({ city: z.string() }), execute });

interface StepRead {
  finishReason: string;
  usage: unknown;
  toolCalls: { toolCallId: string; toolName: string; input: unknown }[];
  toolResults: { toolCallId: string; output: unknown }[];
  content: { type: string; error?: unknown }[];
}

/** What the caller reads of a generateText result: equal with and without the integration. */
function readable(result: { text: string; finishReason: string; totalUsage: unknown; steps: StepRead[] }) {
  return {
    text: result.text,
    finishReason: result.finishReason,
    totalUsage: result.totalUsage,
    steps: result.steps.map((s) => ({
      finishReason: s.finishReason,
      usage: s.usage,
      toolCalls: s.toolCalls.map((c) => ({ toolCallId: c.toolCallId, toolName: c.toolName, input: c.input })),
      toolResults: s.toolResults.map((r) => ({ toolCallId: r.toolCallId, output: r.output })),
      errors: s.content.filter((p) => p.type === 'tool-error').map((p) => (p as { error?: unknown }).error),
    })),
  };
}

/** The same call twice, scripted the same: without the integration (no engine either), then with it. */
async function twice<T>(script: () => void, call: (withLogging: boolean) => Promise<T>): Promise<{ plain: T; logged: T }> {
  script();
  const plain = await call(false);
  harness = installEngine();
  script();
  const logged = await call(true);
  await tick(5);
  return { plain, logged };
}

describe('the AI SDK telemetry integration', () => {
  it('writes a generateText tool loop made outside any run as a run of its own: every model call with its usage, every tool call with its input hash', async () => {
    const { plain, logged } = await twice(
      () => provider.script('openai.chat', weatherCall('call_1', 'Paris'), { text: 'Sunny in Paris', usage: { input: 30, output: 3 } }),
      (withLogging) =>
        ai.generateText({
          model: openai().chat('gpt-4o-mini'),
          prompt: 'weather in Paris?',
          stopWhen: ai.stepCountIs(5),
          maxRetries: 0,
          tools: { weather: weatherTool() },
          telemetry: withLogging ? { integrations: [telemetry], functionId: 'weather_agent' } : undefined,
        }),
    );
    expect(readable(logged)).toEqual(readable(plain));

    const [run] = wellFormedRuns(harness.capture.events);
    expect(timeline(run)).toEqual([
      'run_started',
      'agent_step llm_call', 'llm_result ok',
      'agent_step tool_call weather', 'tool_call weather', 'tool_result weather ok',
      'agent_step llm_call', 'llm_result ok',
      'run_finished ok completed',
    ]);
    expect(run[0]).toMatchObject({ agent: 'weather_agent', task_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const [first, second] = eventsOf(run, 'llm_result');
    expect(first).toMatchObject({
      model: 'gpt-4o-mini', provider: 'openai', finish_reason: 'tool-calls', response_id: expect.stringMatching(/^chatcmpl-/),
      token_usage: { input_tokens: 20, output_tokens: 7, total_tokens: 27, cache_read_tokens: 4, reasoning_tokens: 2 },
    });
    expect(second).toMatchObject({ finish_reason: 'stop', token_usage: { input_tokens: 30, output_tokens: 3, total_tokens: 33 } });
    // The tool's input only: not the second argument AI SDK passes execute ({ toolCallId, messages, abortSignal }).
    expect(eventsOf(run, 'tool_call')[0]).toMatchObject({ tool_call_id: 'call_1', args_hash: harness.engine.hash({ city: 'Paris' }).hash });
    expect(eventsOf(run, 'tool_result')[0]).toMatchObject({ tool_call_id: 'call_1', result_hash: harness.engine.hash({ city: 'Paris', celsius: 21 }).hash });
    expect(run.at(-1)).toMatchObject({
      tool_calls: 1, llm_calls: 2, errors: 0,
      token_usage: { input_tokens: 50, output_tokens: 10, total_tokens: 60, cache_read_tokens: 4, reasoning_tokens: 2 },
    });
    // No prompt, argument or output without capture.
    for (const e of run) for (const key of ['task', 'prompt', 'args', 'result', 'output']) expect(e).not.toHaveProperty(key);
    expect(harness.capture.raw).not.toContain('Paris');
  });

  it('the same input hashes the same on every call, as it would for a decorated tool', async () => {
    harness = installEngine();
    provider.script('openai.chat', weatherCall('call_a', 'Oslo'), weatherCall('call_b', 'Oslo'), { text: 'cold twice' });
    await ai.generateText({
      model: openai().chat('gpt-4o-mini'), prompt: 'twice', stopWhen: ai.stepCountIs(5), maxRetries: 0,
      tools: { weather: weatherTool() }, telemetry: { integrations: [telemetry] },
    });
    await tick(5);
    const [run] = wellFormedRuns(harness.capture.events);
    const calls = eventsOf(run, 'tool_call');
    expect(calls.map((c) => c.tool_call_id)).toEqual(['call_a', 'call_b']);
    expect(calls[0].args_hash).toBe(calls[1].args_hash);
  });

  it('joins the run it is called in; a decorated service called from the tool is a step under the tool\'s step', async () => {
    harness = installEngine();
    class Geo {
      @AgentTool('lookup_city')
      async lookup(city: string) {
        return { city, country: 'FR' };
      }
    }
    class WeatherAgent {
      constructor(private readonly geo: Geo) {}
      @AgentRun('weather_desk')
      async answer(question: string) {
        const result = await ai.generateText({
          model: openai().chat('gpt-4o-mini'), prompt: question, stopWhen: ai.stepCountIs(5), maxRetries: 0,
          tools: { weather: weatherTool(async ({ city }) => this.geo.lookup(city)) },
          telemetry: { integrations: [telemetry] },
        });
        return result.text;
      }
    }
    provider.script('openai.chat', weatherCall('call_1', 'Lyon'), { text: 'Lyon is in France' });
    await expect(new WeatherAgent(new Geo()).answer('where is Lyon?')).resolves.toBe('Lyon is in France');
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
    expect(weather.parent_span_id).toBe(run[0].span_id);
    expect(lookup.parent_span_id).toBe(weather.span_id);
  });

  it('the loop guard counts what the model called, not the decorated tool the framework\'s tool calls in its body', async () => {
    harness = installEngine({ loopGuard: { mode: 'refuse' } });
    class Weather {
      @AgentTool('weather')
      async forecast(input: { city: string }) {
        return { city: input.city, celsius: 21 };
      }
    }
    const weather = new Weather();
    // The natural reuse: the AI SDK tool's execute is the decorated service, under the same name and input.
    const tools = { weather: weatherTool((input) => weather.forecast(input)) };
    const call = () =>
      ai.generateText({
        model: openai().chat('gpt-4o-mini'), prompt: 'weather?', stopWhen: ai.stepCountIs(10), maxRetries: 0, tools,
        telemetry: { integrations: [telemetry] },
      });
    // Three identical calls: the third is a loop (a warning); none is refused.
    provider.script('openai.chat', weatherCall('call_1', 'Oslo'), weatherCall('call_2', 'Oslo'), weatherCall('call_3', 'Oslo'), { text: 'mild' });
    await expect(call()).resolves.toMatchObject({ text: 'mild' });
    await tick(5);
    const [run] = wellFormedRuns(harness.capture.events);
    expect(eventsOf(run, 'tool_result').map((e) => e.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']); // 3 framework steps, 3 nested
    expect(eventsOf(run, 'loop_detected')).toEqual([expect.objectContaining({ tool: 'weather', repeats: 3, action: 'warned' })]);
    expect(run.at(-1)).toMatchObject({ status: 'ok', stop_reason: 'completed' });

    // A fourth identical call is refused: once, for the framework's step, and the decorated tool never runs.
    provider.reset();
    const calls = [1, 2, 3, 4].map((n) => weatherCall(`call_${n}`, 'Oslo'));
    provider.script('openai.chat', ...calls, { text: 'gave up' });
    await call();
    await tick(5);
    const refused = wellFormedRuns(harness.capture.events)[1];
    expect(eventsOf(refused, 'loop_detected').map((e) => e.action)).toEqual(['warned', 'refused']);
    expect(eventsOf(refused, 'tool_call').filter((e) => e.parent_span_id !== refused[0].span_id)).toHaveLength(3);
  });

  it('a failing tool is a tool_result error with its class and scrubbed message; the loop goes on and the result is unchanged', async () => {
    const failing = async () => {
      throw new Boom('no station near jane.doe@example.com');
    };
    const { plain, logged } = await twice(
      () => provider.script('openai.chat', weatherCall('call_1', 'Nowhere'), { text: 'I could not get the weather' }),
      (withLogging) =>
        ai.generateText({
          model: openai().chat('gpt-4o-mini'), prompt: 'weather?', stopWhen: ai.stepCountIs(5), maxRetries: 0,
          tools: { weather: weatherTool(failing) }, telemetry: withLogging ? { integrations: [telemetry] } : undefined,
        }),
    );
    expect(readable(logged)).toEqual(readable(plain));
    const [run] = wellFormedRuns(harness.capture.events);
    expect(timeline(run)).toEqual([
      'run_started',
      'agent_step llm_call', 'llm_result ok',
      'agent_step tool_call weather', 'tool_call weather', 'tool_result weather error',
      'agent_step llm_call', 'llm_result ok',
      'run_finished ok completed',
    ]);
    const failed = eventsOf(run, 'tool_result')[0];
    expect(failed).toMatchObject({ level: 50, status: 'error', error_class: 'Boom', tool_call_id: 'call_1' });
    expect(failed.error_message).not.toContain('jane.doe@example.com');
    expect(run.at(-1)).toMatchObject({ errors: 1, first_error_step_index: 2 });
  });

  it('stopWhen: stepCountIs(n) cutting the loop short ends the run max_steps; ToolLoopAgent too', async () => {
    const { plain, logged } = await twice(
      () => provider.script('openai.chat', weatherCall('call_1', 'Rome'), weatherCall('call_2', 'Rome')),
      (withLogging) =>
        new ai.ToolLoopAgent({
          model: openai().chat('gpt-4o-mini'), maxRetries: 0, stopWhen: ai.stepCountIs(2),
          tools: { weather: weatherTool() },
          telemetry: withLogging ? { integrations: [telemetry], functionId: 'looping_agent' } : undefined,
        }).generate({ prompt: 'keep asking' }),
    );
    expect(readable(logged)).toEqual(readable(plain));
    expect(logged.steps).toHaveLength(2);
    const [run] = wellFormedRuns(harness.capture.events);
    expect(run[0].agent).toBe('looping_agent');
    expect(timeline(run)).toEqual([
      'run_started',
      'agent_step llm_call', 'llm_result ok', 'agent_step tool_call weather', 'tool_call weather', 'tool_result weather ok',
      'agent_step llm_call', 'llm_result ok', 'agent_step tool_call weather', 'tool_call weather', 'tool_result weather ok',
      'run_finished ok max_steps',
    ]);
    // The framework's own cap, not the module's maxSteps: nothing was refused, and the inspector says so.
    expect(run.at(-1)!.limit).toEqual({ name: 'framework_step_cap' });
    const dir = mkdtempSync(join(tmpdir(), 'ai-sdk-cap-'));
    try {
      writeFileSync(join(dir, 'app.ndjson'), harness.capture.raw);
      const shown = cliJson<{ stop: { sentence: string } }>(['show', run[0].run_id as string, join(dir, 'app.ndjson')]);
      expect(shown.stop.sentence).toBe("stopped: the framework's own step cap (stopWhen, maxTurns, recursionLimit) ended its loop after 4 steps");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a loop that ends because the model is done at the cap is completed, not max_steps', async () => {
    harness = installEngine();
    provider.script('openai.chat', weatherCall('call_1', 'Rome'), { text: 'done' });
    await ai.generateText({
      model: openai().chat('gpt-4o-mini'), prompt: 'once', stopWhen: ai.stepCountIs(2), maxRetries: 0,
      tools: { weather: weatherTool() }, telemetry: { integrations: [telemetry] },
    });
    await tick(5);
    const [run] = wellFormedRuns(harness.capture.events);
    expect(run.at(-1)).toMatchObject({ stop_reason: 'completed', total_steps: 3 });
  });

  it('a streamText answer read to its end: the model call lasts the stream and has the streamed usage; the text is unchanged', async () => {
    const read = async (withLogging: boolean) => {
      const result = ai.streamText({
        model: openai().chat('gpt-4o-mini'), prompt: 'weather?', stopWhen: ai.stepCountIs(5), maxRetries: 0,
        tools: { weather: weatherTool() }, telemetry: withLogging ? { integrations: [telemetry] } : undefined,
      });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      return text;
    };
    const { plain, logged } = await twice(
      () => provider.script('openai.chat', weatherCall('call_1', 'Nice'), { text: ['Sunny', ' in', ' Nice'], usage: { input: 30, output: 3 }, chunkDelayMs: 5 }),
      read,
    );
    expect(logged).toBe('Sunny in Nice');
    expect(logged).toBe(plain);
    const [run] = wellFormedRuns(harness.capture.events);
    expect(timeline(run)).toEqual([
      'run_started',
      'agent_step llm_call', 'llm_result ok',
      'agent_step tool_call weather', 'tool_call weather', 'tool_result weather ok',
      'agent_step llm_call', 'llm_result ok',
      'run_finished ok completed',
    ]);
    expect(run[0].agent).toBe('ai.streamText');
    expect(eventsOf(run, 'llm_result')[1]).toMatchObject({ finish_reason: 'stop', token_usage: { input_tokens: 30, output_tokens: 3 } });
  });

  it('Anthropic through the AI SDK: input counts cache reads and writes once, with both itemised', async () => {
    harness = installEngine();
    provider.script('anthropic.messages', { text: 'cached', usage: { input: 100, output: 9, cacheRead: 60, cacheWrite: 30 } });
    const anthropic = createAnthropic({ apiKey: 'test', baseURL: `${provider.anthropicBaseURL}/v1` });
    await ai.generateText({ model: anthropic('claude-sonnet-4-5'), prompt: 'hi', maxRetries: 0, telemetry: { integrations: [telemetry] } });
    await tick(5);
    const [run] = wellFormedRuns(harness.capture.events);
    expect(eventsOf(run, 'llm_result')[0]).toMatchObject({
      provider: 'anthropic', response_id: expect.stringMatching(/^msg_/),
      token_usage: { input_tokens: 100, output_tokens: 9, total_tokens: 109, cache_read_tokens: 60, cache_creation_tokens: 30 },
    });
  });

  it('an agent called from a tool is a sub-agent: a nested run under the tool\'s step', async () => {
    harness = installEngine();
    provider.script(
      'openai.chat',
      { toolCalls: [{ id: 'call_r', name: 'research', arguments: { topic: 'tides' } }] },
      { text: 'tides are moon-made' },
      { text: 'The researcher says: tides are moon-made' },
    );
    const research = ai.tool({
      description: 'ask the researcher',
      inputSchema: z.object({ topic: z.string() }),
      execute: async ({ topic }) =>
        (await ai.generateText({ model: openai().chat('gpt-4o-mini'), prompt: topic, maxRetries: 0, telemetry: { integrations: [telemetry], functionId: 'researcher' } })).text,
    });
    await ai.generateText({
      model: openai().chat('gpt-4o-mini'), prompt: 'tides?', stopWhen: ai.stepCountIs(5), maxRetries: 0,
      tools: { research }, telemetry: { integrations: [telemetry], functionId: 'orchestrator' },
    });
    await tick(5);
    const [parent, child] = wellFormedRuns(harness.capture.events);
    expect(parent[0].agent).toBe('orchestrator');
    expect(child[0]).toMatchObject({ agent: 'researcher', parent_run_id: parent[0].run_id, trace_id: parent[0].trace_id });
    expect(child[0].parent_span_id).toBe(eventsOf(parent, 'tool_call')[0].span_id);
    expect(timeline(child)).toEqual(['run_started', 'agent_step llm_call', 'llm_result ok', 'run_finished ok completed']);
  });

  it('a failing model call ends the run step_error, and the caller gets the SDK\'s own error', async () => {
    harness = installEngine();
    provider.script('openai.chat', { error: { status: 400, type: 'invalid_request_error', message: 'bad request for jane.doe@example.com' } });
    const failing = ai.generateText({ model: openai().chat('gpt-4o-mini'), prompt: 'x', maxRetries: 0, telemetry: { integrations: [telemetry] } });
    const error = await failing.catch((e: unknown) => e);
    expect(ai.APICallError.isInstance(error)).toBe(true);
    await tick(5);
    const [run] = wellFormedRuns(harness.capture.events);
    expect(timeline(run)).toEqual(['run_started', 'agent_step llm_call', 'llm_result error', 'run_finished error step_error']);
    expect(eventsOf(run, 'llm_result')[0]).toMatchObject({ error_class: 'APICallError' });
    expect(harness.capture.raw).not.toContain('jane.doe@example.com');
  });

  it('the module\'s step guard refuses the model call past maxSteps: the caller gets MaxStepsExceededError, the run ends max_steps', async () => {
    harness = installEngine({ maxSteps: 2 });
    provider.script('openai.chat', weatherCall('call_1', 'Bern'), weatherCall('call_2', 'Bern'));
    const error = await ai
      .generateText({
        model: openai().chat('gpt-4o-mini'), prompt: 'x', stopWhen: ai.stepCountIs(10), maxRetries: 0,
        tools: { weather: weatherTool() }, telemetry: { integrations: [telemetry] },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MaxStepsExceededError);
    expect(provider.requests).toHaveLength(1);
    await tick(5);
    const [run] = wellFormedRuns(harness.capture.events);
    expect(run.at(-1)).toMatchObject({ status: 'error', stop_reason: 'max_steps', total_steps: 2, limit: { name: 'maxSteps', value: 2 } });
  });

  it('a tool refused by the step guard is never executed: the SDK reports it to the model as failed, and the next model call is refused', async () => {
    harness = installEngine({ maxSteps: 1 });
    provider.script('openai.chat', weatherCall('call_1', 'Bern'));
    const execute = jest.fn(async () => 'never');
    const error = await ai
      .generateText({
        model: openai().chat('gpt-4o-mini'), prompt: 'x', stopWhen: ai.stepCountIs(10), maxRetries: 0,
        tools: { weather: ai.tool({ inputSchema: z.object({ city: z.string() }), execute }) }, telemetry: { integrations: [telemetry] },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MaxStepsExceededError);
    expect(execute).not.toHaveBeenCalled();
    await tick(5);
    const [run] = wellFormedRuns(harness.capture.events);
    expect(timeline(run)).toEqual(['run_started', 'agent_step llm_call', 'llm_result ok', 'run_finished error max_steps']);
  });

  it('with capture on, the prompt, the tool\'s input and result and the model output are written, redacted and capped', async () => {
    harness = installEngine({ capture: { args: true, results: true, prompts: true, outputs: true, maxLength: 400 } });
    provider.script('openai.chat', weatherCall('call_1', 'Paris'), { text: 'Sunny' });
    await ai.generateText({
      model: openai().chat('gpt-4o-mini'), prompt: 'weather in Paris?', stopWhen: ai.stepCountIs(5), maxRetries: 0,
      tools: { weather: weatherTool() }, telemetry: { integrations: [telemetry] },
    });
    await tick(5);
    const [run] = wellFormedRuns(harness.capture.events);
    expect(run[0].task).toContain('weather in Paris?');
    expect(eventsOf(run, 'agent_step')[0].prompt).toContain('weather in Paris?');
    expect(JSON.parse(eventsOf(run, 'tool_call')[0].args as string)).toEqual({ city: 'Paris' });
    expect(JSON.parse(eventsOf(run, 'tool_result')[0].result as string)).toEqual({ city: 'Paris', celsius: 21 });
    expect(eventsOf(run, 'llm_result')[1].output).toContain('Sunny');
  });

  it('a streamText call aborted mid-answer ends its model call and its run cancelled', async () => {
    harness = installEngine();
    provider.script('openai.chat', { text: ['one', ' two', ' three'], hangAfter: 3 });
    const controller = new AbortController();
    const result = ai.streamText({
      model: openai().chat('gpt-4o-mini'), prompt: 'count', maxRetries: 0, abortSignal: controller.signal, telemetry: { integrations: [telemetry] },
    });
    const seen: string[] = [];
    for await (const part of result.fullStream) {
      if (part.type === 'text-delta') {
        seen.push(part.text);
        controller.abort();
      }
    }
    await tick(20);
    expect(seen.length).toBeGreaterThan(0);
    const [run] = wellFormedRuns(harness.capture.events);
    expect(timeline(run)).toEqual(['run_started', 'agent_step llm_call', 'llm_result cancelled', 'run_finished cancelled cancelled']);
  });

  it('without the module (no engine installed) the integration writes nothing and the call works', async () => {
    provider.script('openai.chat', { text: 'fine' });
    const result = await ai.generateText({ model: openai().chat('gpt-4o-mini'), prompt: 'hi', maxRetries: 0, telemetry: { integrations: [telemetry] } });
    expect(result.text).toBe('fine');
  });
});

describe('AI SDK results returned by decorated methods', () => {
  beforeEach(() => {
    harness = installEngine();
  });

  class Model {
    @AgentLlm({ model: 'gpt-4o-mini' })
    generate(prompt: string) {
      return ai.generateText({ model: openai().chat('gpt-4o-mini'), prompt, maxRetries: 0 });
    }
    @AgentLlm({ model: 'gpt-4o-mini' })
    stream(prompt: string) {
      return ai.streamText({ model: openai().chat('gpt-4o-mini'), prompt, maxRetries: 0 });
    }
    @AgentRun('writer')
    async write(prompt: string) {
      return (await this.generate(prompt)).text;
    }
    @AgentRun('streaming_writer')
    streamRun(prompt: string) {
      return this.stream(prompt);
    }
  }

  it('an @AgentLlm method returning a generateText result: usage with its v7 details and the finish reason', async () => {
    provider.script('openai.chat', { text: 'hello', usage: { input: 40, output: 12, cacheRead: 10, reasoning: 5 } });
    await expect(new Model().write('hi')).resolves.toBe('hello');
    await tick(5);
    const [run] = wellFormedRuns(harness.capture.events);
    expect(eventsOf(run, 'llm_result')[0]).toMatchObject({
      finish_reason: 'stop', response_id: expect.stringMatching(/^chatcmpl-/),
      token_usage: { input_tokens: 40, output_tokens: 12, total_tokens: 52, cache_read_tokens: 10, reasoning_tokens: 5 },
    });
  });

  it('an @AgentLlm method returning a streamText result: followed to the end the caller reads, without consuming anything itself', async () => {
    provider.script('openai.chat', { text: ['a', 'b', 'c'], usage: { input: 8, output: 3 } });
    const result = new Model().streamRun('letters');
    // The getters totalUsage, finishReason, text, steps all call consumeStream(): none may be read for the caller.
    const consumed = jest.fn();
    const original = result.consumeStream.bind(result);
    Object.defineProperty(result, 'consumeStream', { value: (...args: Parameters<typeof original>) => (consumed(), original(...args)) });
    await tick(50);
    expect(consumed).not.toHaveBeenCalled();
    expect(harness.capture.events.map((e) => e.event)).toEqual(['run_started', 'agent_step']);
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('abc');
    await tick(5);
    expect(consumed).not.toHaveBeenCalled();
    const [run] = wellFormedRuns(harness.capture.events);
    expect(timeline(run)).toEqual(['run_started', 'agent_step llm_call', 'llm_result ok', 'run_finished ok completed']);
    expect(eventsOf(run, 'llm_result')[0]).toMatchObject({ finish_reason: 'stop', token_usage: { input_tokens: 8, output_tokens: 3, total_tokens: 11 } });
  });
});
