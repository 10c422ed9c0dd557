import 'reflect-metadata';
import OpenAI from 'openai';
import { Agent, BatchTraceProcessor, run, setDefaultOpenAIClient, setTraceProcessors, setTracingDisabled, tool } from '@openai/agents';
import { z } from 'zod';
import { AgentRun, AgentTool } from 'nestjs-agent-logging';
import { AgentLoggingTraceProcessor } from '../../src/openai-agents';
import { installEngine, tick } from '../support/engine-harness';
import { startFakeProvider, type FakeProvider, type ScriptedReply } from '../support/fake-provider';
import { eventsOf, timeline, wellFormedRuns } from './support/timeline';

class Boom extends Error {
  override name = 'Boom';
}

let provider: FakeProvider;
let harness: ReturnType<typeof installEngine> | undefined;
const processor = new AgentLoggingTraceProcessor();

beforeAll(async () => {
  provider = await startFakeProvider();
  setDefaultOpenAIClient(new OpenAI({ apiKey: 'test', baseURL: provider.openaiBaseURL, maxRetries: 0 }) as never);
  // The SDK disables tracing under NODE_ENV=test; its default exporter would ship to OpenAI: ours only.
  setTracingDisabled(false);
});
afterAll(async () => {
  setTraceProcessors([]);
  await provider.close();
});
beforeEach(() => {
  provider.reset();
  setTraceProcessors([processor]);
});
afterEach(() => {
  harness?.uninstall();
  harness = undefined;
});

const weatherCall = (id: string, city: string): ScriptedReply => ({
  toolCalls: [{ id, name: 'weather', arguments: { city } }],
  usage: { input: 20, output: 7, cacheRead: 4, reasoning: 2 },
});

const weatherTool = (execute: (input: { city: string }) => Promise<string> = async ({ city }) => `21C in ${city}`) =>
  tool({ name: 'weather', description: 'the weather in a city', parameters: z.object({ city: z.string() }), execute });

const agentWith = (name: string, tools: ReturnType<typeof tool>[] = [], extra: Partial<ConstructorParameters<typeof Agent>[0]> = {}) =>
  new Agent({ name, instructions: `You are ${name}.`, model: 'gpt-4o-mini', tools, ...extra });

interface Result {
  finalOutput?: unknown;
  lastAgent?: { name: string };
  newItems: { type: string }[];
  state: { usage: unknown };
}
/** What the caller reads of a run's result: the final output, the last agent, the items' kinds. */
const readable = (result: Result) => ({
  finalOutput: result.finalOutput,
  lastAgent: result.lastAgent?.name,
  items: result.newItems.map((item) => item.type),
  usage: result.state.usage,
});

/** The same run twice, scripted the same: without the processor (and no engine), then with it. */
async function twice<T>(script: () => void, call: () => Promise<T>): Promise<{ plain: T; logged: T }> {
  setTraceProcessors([]);
  script();
  const plain = await call();
  setTraceProcessors([processor]);
  harness = installEngine();
  script();
  const logged = await call();
  await tick(5);
  return { plain, logged };
}

describe('the OpenAI Agents SDK trace processor', () => {
  it('writes a run made outside any run as a run of its own: model calls with their usage, tool calls hashed over their input with the model\'s call id', async () => {
    const { plain, logged } = await twice(
      () => provider.script('openai.responses', weatherCall('call_1', 'Paris'), { text: 'Sunny in Paris', usage: { input: 30, output: 3 } }),
      () => run(agentWith('weather_agent', [weatherTool()]), 'weather in Paris?'),
    );
    expect(readable(logged)).toEqual(readable(plain));
    const [agentRun, ...others] = wellFormedRuns(harness!.capture.events);
    expect(others).toEqual([]);
    expect(agentRun[0].agent).toBe('weather_agent');
    expect(timeline(agentRun)).toEqual([
      'run_started',
      'agent_step llm_call', 'llm_result ok',
      'agent_step tool_call weather', 'tool_call weather', 'tool_result weather ok',
      'agent_step llm_call', 'llm_result ok',
      'run_finished ok completed',
    ]);
    const [first, second] = eventsOf(agentRun, 'llm_result');
    expect(first).toMatchObject({
      model: 'gpt-4o-mini', provider: 'openai', response_id: expect.stringMatching(/^resp_/),
      token_usage: { input_tokens: 20, output_tokens: 7, total_tokens: 27, cache_read_tokens: 4, reasoning_tokens: 2 },
    });
    expect(second).toMatchObject({ finish_reason: 'completed', token_usage: { input_tokens: 30, output_tokens: 3, total_tokens: 33 } });
    expect(eventsOf(agentRun, 'tool_call')[0]).toMatchObject({ tool_call_id: 'call_1', args_hash: harness!.engine.hash({ city: 'Paris' }).hash });
    expect(eventsOf(agentRun, 'tool_result')[0]).toMatchObject({ result_hash: harness!.engine.hash('21C in Paris').hash });
    expect(harness!.capture.raw).not.toContain('Paris');
  });

  it('a handoff is the handoff tool\'s step, and the agent taking over a run nested under the one that handed off', async () => {
    harness = installEngine();
    provider.script(
      'openai.responses',
      { toolCalls: [{ id: 'call_h', name: 'transfer_to_billing', arguments: {} }] },
      { text: 'Your invoice is paid', usage: { input: 15, output: 5 } },
    );
    const billing = agentWith('billing');
    const result = await run(agentWith('triage', [], { handoffs: [billing] }), 'is my invoice paid?');
    expect(result.lastAgent?.name).toBe('billing');
    await tick(5);
    const [triage, billingRun] = wellFormedRuns(harness.capture.events);
    expect(triage[0].agent).toBe('triage');
    expect(timeline(triage)).toEqual([
      'run_started',
      'agent_step llm_call', 'llm_result ok',
      'agent_step tool_call transfer_to_billing', 'tool_call transfer_to_billing', 'tool_result transfer_to_billing ok',
      'run_finished ok completed',
    ]);
    expect(eventsOf(triage, 'tool_call')[0]).toMatchObject({ tool_call_id: 'call_h' });
    expect(billingRun[0]).toMatchObject({ agent: 'billing', parent_run_id: triage[0].run_id, trace_id: triage[0].trace_id, parent_span_id: triage[0].span_id });
    expect(timeline(billingRun)).toEqual(['run_started', 'agent_step llm_call', 'llm_result ok', 'run_finished ok completed']);
    // The agent that took over finishes before the one that handed off.
    const finished = harness.capture.events.filter((e) => e.event === 'run_finished').map((e) => e.agent);
    expect(finished).toEqual(['billing', 'triage']);
  });

  it('a failing tool is a tool_result error; the SDK hands the error to the model and the run completes', async () => {
    const failing = async (): Promise<string> => {
      throw new Boom('no station near jane.doe@example.com');
    };
    const { plain, logged } = await twice(
      () => provider.script('openai.responses', weatherCall('call_1', 'Nowhere'), { text: 'I could not get the weather' }),
      () => run(agentWith('weather_agent', [weatherTool(failing)]), 'weather?'),
    );
    expect(readable(logged)).toEqual(readable(plain));
    const [agentRun] = wellFormedRuns(harness!.capture.events);
    expect(timeline(agentRun)).toEqual([
      'run_started',
      'agent_step llm_call', 'llm_result ok',
      'agent_step tool_call weather', 'tool_call weather', 'tool_result weather error',
      'agent_step llm_call', 'llm_result ok',
      'run_finished ok completed',
    ]);
    // The SDK's span carries a summary of the failure, its details redacted by default: no class to give.
    expect(eventsOf(agentRun, 'tool_result')[0]).toMatchObject({ level: 50, status: 'error', error_class: 'Error', error_message: expect.stringContaining('Error running tool') });
    expect(agentRun.at(-1)).toMatchObject({ errors: 1, first_error_step_index: 2 });
    expect(harness!.capture.raw).not.toContain('jane.doe@example.com');
  });

  it('maxTurns ends the run max_steps; the caller gets the SDK\'s MaxTurnsExceededError as without the processor', async () => {
    const { plain, logged } = await twice(
      () => provider.script('openai.responses', weatherCall('call_1', 'Rome'), weatherCall('call_2', 'Rome')),
      () => run(agentWith('looping_agent', [weatherTool()]), 'loop', { maxTurns: 2 }).catch((e: Error) => ({ name: e.name, message: e.message })),
    );
    expect(logged).toEqual(plain);
    expect(logged).toMatchObject({ name: 'MaxTurnsExceededError' });
    const [agentRun] = wellFormedRuns(harness!.capture.events);
    expect(timeline(agentRun)).toEqual([
      'run_started',
      'agent_step llm_call', 'llm_result ok', 'agent_step tool_call weather', 'tool_call weather', 'tool_result weather ok',
      'agent_step llm_call', 'llm_result ok', 'agent_step tool_call weather', 'tool_call weather', 'tool_result weather ok',
      'run_finished error max_steps',
    ]);
    expect(agentRun.at(-1)).toMatchObject({ error_class: 'MaxTurnsExceededError', limit: { name: 'framework_step_cap' } });
  });

  it('a streamed run read to its end: the model calls last their streams and carry the streamed usage', async () => {
    const read = async () => {
      const stream = await run(agentWith('streamer', [weatherTool()]), 'weather?', { stream: true });
      let text = '';
      for await (const chunk of stream.toTextStream()) text += chunk;
      await stream.completed;
      return text;
    };
    const { plain, logged } = await twice(
      () => provider.script('openai.responses', weatherCall('call_1', 'Nice'), { text: ['Sunny', ' in', ' Nice'], usage: { input: 30, output: 3 }, chunkDelayMs: 5 }),
      read,
    );
    expect(logged).toBe('Sunny in Nice');
    expect(logged).toBe(plain);
    const [agentRun] = wellFormedRuns(harness!.capture.events);
    expect(timeline(agentRun)).toEqual([
      'run_started',
      'agent_step llm_call', 'llm_result ok',
      'agent_step tool_call weather', 'tool_call weather', 'tool_result weather ok',
      'agent_step llm_call', 'llm_result ok',
      'run_finished ok completed',
    ]);
    expect(eventsOf(agentRun, 'llm_result')[1]).toMatchObject({ token_usage: { input_tokens: 30, output_tokens: 3, total_tokens: 33 } });
  });

  it('an agent used as a tool is a sub-agent: a nested run under the tool\'s step', async () => {
    harness = installEngine();
    provider.script(
      'openai.responses',
      { toolCalls: [{ id: 'call_r', name: 'research', arguments: { input: 'tides' } }] },
      { text: 'tides are moon-made' },
      { text: 'The researcher says: tides are moon-made' },
    );
    const researcher = agentWith('researcher');
    const research = researcher.asTool({ toolName: 'research', toolDescription: 'ask the researcher' });
    await run(agentWith('orchestrator', [research as never]), 'tides?');
    await tick(5);
    const [parent, child] = wellFormedRuns(harness.capture.events);
    expect(parent[0].agent).toBe('orchestrator');
    expect(child[0]).toMatchObject({ agent: 'researcher', parent_run_id: parent[0].run_id, trace_id: parent[0].trace_id });
    expect(child[0].parent_span_id).toBe(eventsOf(parent, 'tool_call')[0].span_id);
    expect(timeline(child)).toEqual(['run_started', 'agent_step llm_call', 'llm_result ok', 'run_finished ok completed']);
  });

  it('joins the run it is called in; a decorated service called from a tool belongs to the tool\'s step, ours added after another processor', async () => {
    harness = installEngine();
    // As `addTraceProcessor` leaves it: the SDK's own batch processor first (here exporting nowhere), ours after it.
    setTraceProcessors([new BatchTraceProcessor({ export: async () => undefined }), processor]);
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
        const result = await run(agentWith('weather_agent', [weatherTool(({ city }) => this.geo.lookup(city))]), question);
        return result.finalOutput;
      }
    }
    provider.script('openai.responses', weatherCall('call_1', 'Lyon'), { text: 'Lyon is in France' });
    await expect(new Desk(new Geo()).answer('where is Lyon?')).resolves.toBe('Lyon is in France');
    await tick(5);
    const runs = wellFormedRuns(harness.capture.events);
    expect(runs).toHaveLength(1);
    const [deskRun] = runs;
    expect(deskRun[0].agent).toBe('weather_desk');
    expect(timeline(deskRun)).toEqual([
      'run_started',
      'agent_step llm_call', 'llm_result ok',
      'agent_step tool_call weather', 'tool_call weather',
      'agent_step tool_call lookup_city', 'tool_call lookup_city', 'tool_result lookup_city ok',
      'tool_result weather ok',
      'agent_step llm_call', 'llm_result ok',
      'run_finished ok completed',
    ]);
    const [weather, lookup] = eventsOf(deskRun, 'tool_call');
    expect(lookup.parent_span_id).toBe(weather.span_id);
  });

  it('a tripped input guardrail ends the run guardrail_tripped', async () => {
    harness = installEngine();
    provider.script('openai.responses', { text: 'never sent' });
    const guarded = agentWith('guarded', [], {
      inputGuardrails: [{ name: 'no_secrets', runInParallel: false, execute: async () => ({ tripwireTriggered: true, outputInfo: {} }) }],
    });
    const error = await run(guarded, 'my password is hunter2').catch((e: Error) => e);
    expect((error as Error).name).toBe('InputGuardrailTripwireTriggered');
    await tick(5);
    const [agentRun] = wellFormedRuns(harness.capture.events);
    expect(agentRun.at(-1)).toMatchObject({ status: 'error', stop_reason: 'guardrail_tripped' });
    expect(harness.capture.raw).not.toContain('hunter2');
  });

  it('without the module (no engine installed) the processor writes nothing and the run works', async () => {
    provider.script('openai.responses', { text: 'fine' });
    await expect(run(agentWith('plain'), 'hi').then((r) => r.finalOutput)).resolves.toBe('fine');
  });
});
