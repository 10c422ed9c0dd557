import { AgentLlm, AgentRun, AgentTool, currentAgentRun, withAgentLlm, withAgentRun, withAgentTool } from 'nestjs-agent-logging';
import { expectWellFormedRun, installEngine, runsIn, tick } from '../support/engine-harness';
import type { LogLine } from '../support/log-capture';

class Boom extends Error {
  override name = 'Boom';
}

/** One scenario written twice: with the decorators, and with the withAgent* wrappers. */
class Decorated {
  @AgentTool('fetch_page')
  async fetchPage(args: { url: string }) {
    await tick(1);
    if (args.url === 'bad') throw new Boom('unreachable');
    return { body: 'page' };
  }
  @AgentLlm({ model: 'gpt-4o-mini' })
  complete(prompt: string) {
    return { usage: { prompt_tokens: prompt.length, completion_tokens: 3, total_tokens: prompt.length + 3 }, choices: [{ finish_reason: 'stop' }] };
  }
  @AgentRun({ name: 'researcher' })
  async run(q: string) {
    this.complete(q);
    await this.fetchPage({ url: 'ok' });
    await this.fetchPage({ url: 'bad' }).catch(() => undefined);
    return 'done';
  }
}

const fetchPage = withAgentTool('fetch_page', async (args: { url: string }) => {
  await tick(1);
  if (args.url === 'bad') throw new Boom('unreachable');
  return { body: 'page' };
});
const complete = withAgentLlm({ model: 'gpt-4o-mini' }, (prompt: string) => ({
  usage: { prompt_tokens: prompt.length, completion_tokens: 3, total_tokens: prompt.length + 3 },
  choices: [{ finish_reason: 'stop' }],
}));
const run = withAgentRun({ name: 'researcher' }, async (q: string) => {
  complete(q);
  await fetchPage({ url: 'ok' });
  await fetchPage({ url: 'bad' }).catch(() => undefined);
  return 'done';
});

/** An event without what differs from run to run: ids, clocks, pino's own fields. */
function shape(e: LogLine) {
  const { run_id, trace_id, span_id, parent_span_id, timestamp, time, pid, hostname, latency_ms, total_latency_ms, ...rest } = e;
  void [run_id, trace_id, span_id, parent_span_id, timestamp, time, pid, hostname, latency_ms, total_latency_ms];
  return rest;
}

describe('the programmatic API', () => {
  let harness: ReturnType<typeof installEngine>;
  beforeEach(() => {
    harness = installEngine();
  });
  afterEach(() => harness.uninstall());

  it('withAgentRun / withAgentTool / withAgentLlm write the same events as the decorators', async () => {
    await expect(new Decorated().run('question')).resolves.toBe('done');
    await expect(run('question')).resolves.toBe('done');
    await tick(5);
    const [a, b] = [...runsIn(harness.capture.events).values()];
    expectWellFormedRun(a);
    expectWellFormedRun(b);
    expect(a.map((e) => e.event)).toEqual([
      'run_started', 'agent_step', 'llm_result', 'agent_step', 'tool_call', 'tool_result', 'agent_step', 'tool_call', 'tool_result', 'run_finished',
    ]);
    expect(b.map(shape)).toEqual(a.map(shape));
    expect(a.at(-1)).toMatchObject({ stop_reason: 'completed', errors: 1, first_error_step_index: 3 });
  });

  it('currentAgentRun gives the run\'s ids inside the body and the step\'s span inside a step; undefined outside', async () => {
    expect(currentAgentRun()).toBeUndefined();
    const inStep = withAgentTool('probe', () => currentAgentRun()!);
    const body = withAgentRun('probe_run', () => ({ body: currentAgentRun()!, step: inStep() }));
    const { body: info, step } = body();
    await tick();
    const events = [...runsIn(harness.capture.events).values()][0];
    const [started, agentStep] = events;
    expect(info).toMatchObject({ runId: started.run_id, traceId: started.trace_id, spanId: started.span_id, agent: 'probe_run' });
    expect(info.parentRunId).toBeUndefined();
    expect(info.requestId).toBeUndefined();
    expect(info.signal).toBeInstanceOf(AbortSignal);
    expect(info.traceparent).toBe(`00-${started.trace_id as string}-${started.span_id as string}-01`);
    expect(step).toMatchObject({ runId: started.run_id, spanId: agentStep.span_id });
    expect(step.traceparent).toContain(agentStep.span_id as string);
  });

  it('the wrappers keep the function\'s name, length, this, return value and thrown error', () => {
    const value = { v: 1 };
    const error = new Boom('x');
    const holder = {
      n: 7,
      get: withAgentRun('holder', function named(this: { n: number }, _a: number, _b: number) {
        return this.n;
      }),
      same: withAgentTool('same', (_x: unknown) => value),
      fail: withAgentLlm('fail', () => {
        throw error;
      }),
    };
    expect(holder.get.name).toBe('named');
    expect(holder.get.length).toBe(2);
    expect(holder.get(1, 2)).toBe(7);
    expect(withAgentRun('r', () => holder.same(1))()).toBe(value);
    let thrown: unknown;
    try {
      withAgentRun('r', () => holder.fail())();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBe(error);
  });
});
