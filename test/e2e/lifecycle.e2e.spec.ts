import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { bootApp, capture, settleLogs } from '../support/boot';
import type { LogLine } from '../support/log-capture';
import { OrderNotFoundError, SupportAgent, supportAgentMetadata } from './fixtures/support-agent.fixture';

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const COMMON = ['event', 'timestamp', 'run_id', 'trace_id', 'trace_flags', 'span_id', 'agent', 'seq', 'schema'];
const PINO = ['level', 'time', 'pid', 'hostname'];

/** The keys an event may carry: pino's own, the common ones, and its own. */
function assertOnlyKeys(e: LogLine, own: string[]) {
  const allowed = new Set([...PINO, ...COMMON, 'parent_span_id', ...own]);
  expect(Object.keys(e).filter((k) => !allowed.has(k))).toEqual([]);
}

async function ask(app: INestApplication, script: object, headers: Record<string, string> = {}) {
  capture.clear();
  const res = await request(app.getHttpServer()).post('/ask').set(headers).send({ question: 'where is my order?', script });
  await settleLogs();
  const runs = capture.events.filter((e) => e.event === 'run_started');
  expect(runs).toHaveLength(1);
  return { res, events: capture.eventsOf(runs[0].run_id as string) };
}

describe('the six events, end to end over HTTP', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({ metadata: supportAgentMetadata });
  });
  afterAll(() => app.close());

  it('writes run_started, agent_step, llm_result, agent_step, tool_call, tool_result, run_finished in order', async () => {
    const { res, events } = await ask(app, {});
    expect(res.status).toBe(201);
    expect(res.body.answer).toBe('Your order has shipped.');
    expect(events.map((e) => e.event)).toEqual([
      'run_started', 'agent_step', 'llm_result', 'agent_step', 'tool_call', 'tool_result', 'run_finished',
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const [started, llmStep, llm, toolStep, call, result, finished] = events;

    for (const e of events) {
      expect(e.timestamp).toMatch(ISO);
      expect(e.run_id).toMatch(UUID7);
      expect(e.trace_id).toMatch(HEX32);
      expect(e.span_id).toMatch(HEX16);
      expect(e.agent).toBe('support');
      expect(e.schema).toBe('agent-log/1');
      expect(e.run_id).toBe(started.run_id);
      expect(e.trace_id).toBe(started.trace_id);
      expect(e.level).toBe(30);
    }
    assertOnlyKeys(started, ['request_id', 'task_hash']);
    expect(started.task_hash).toMatch(HEX64);
    expect(typeof started.request_id === 'string' || typeof started.request_id === 'number').toBe(true);
    expect(started.parent_span_id).toBeUndefined();

    // Steps: their own span, the run's span as parent, indexes from 1.
    assertOnlyKeys(llmStep, ['step_index', 'step_type', 'model']);
    expect(llmStep).toMatchObject({ step_index: 1, step_type: 'llm_call', model: 'gpt-4o-mini', parent_span_id: started.span_id });
    assertOnlyKeys(llm, ['model', 'response_model', 'step_index', 'latency_ms', 'status', 'token_usage', 'finish_reason']);
    expect(llm).toMatchObject({
      model: 'gpt-4o-mini', response_model: 'gpt-4o-mini-2024-07-18', step_index: 1, status: 'ok', finish_reason: 'tool_calls',
      token_usage: { input_tokens: 120, output_tokens: 30, total_tokens: 150 },
      span_id: llmStep.span_id, parent_span_id: started.span_id,
    });
    expect(llm.latency_ms).toBeGreaterThanOrEqual(1);
    assertOnlyKeys(toolStep, ['step_index', 'step_type', 'tool']);
    expect(toolStep).toMatchObject({ step_index: 2, step_type: 'tool_call', tool: 'lookup_order', parent_span_id: started.span_id });
    expect(toolStep.span_id).not.toBe(llmStep.span_id);
    assertOnlyKeys(call, ['tool', 'step_index', 'args_hash']);
    expect(call).toMatchObject({ tool: 'lookup_order', step_index: 2, span_id: toolStep.span_id });
    expect(call.args_hash).toMatch(HEX64);
    assertOnlyKeys(result, ['tool', 'step_index', 'latency_ms', 'status', 'result_hash']);
    expect(result).toMatchObject({ tool: 'lookup_order', step_index: 2, status: 'ok', span_id: toolStep.span_id });
    expect(result.result_hash).toMatch(HEX64);
    expect(typeof result.latency_ms).toBe('number');

    assertOnlyKeys(finished, ['status', 'stop_reason', 'total_steps', 'total_latency_ms', 'tool_calls', 'llm_calls', 'errors', 'token_usage']);
    expect(finished).toMatchObject({
      status: 'ok', stop_reason: 'completed', total_steps: 2, tool_calls: 1, llm_calls: 1, errors: 0,
      token_usage: { input_tokens: 120, output_tokens: 30, total_tokens: 150 }, span_id: started.span_id,
    });
    expect(finished.total_latency_ms as number).toBeGreaterThanOrEqual((llm.latency_ms as number) + (result.latency_ms as number));
  });

  it('gives each run its own run_id and trace_id, and the same arguments the same hashes', async () => {
    const a = await ask(app, {});
    const b = await ask(app, {});
    expect(a.events[0].run_id).not.toBe(b.events[0].run_id);
    expect(a.events[0].trace_id).not.toBe(b.events[0].trace_id);
    expect(a.events[0].task_hash).toBe(b.events[0].task_hash);
    expect(a.events[4].args_hash).toBe(b.events[4].args_hash);
  });

  it('logs a failing tool at level error, and the run ends with tool_error', async () => {
    const { res, events } = await ask(app, { tool: 'throw' });
    expect(res.status).toBe(500);
    const result = events.find((e) => e.event === 'tool_result')!;
    expect(result).toMatchObject({ status: 'error', error_class: 'OrderNotFoundError', level: 50, step_index: 2 });
    expect(result.result_hash).toBeUndefined();
    const finished = events.at(-1)!;
    expect(finished).toMatchObject({
      event: 'run_finished', status: 'error', stop_reason: 'tool_error', errors: 1, first_error_step_index: 2, level: 50,
      error_class: 'OrderNotFoundError',
    });
    expect(events.filter((e) => e.event === 'run_finished')).toHaveLength(1);
  });

  it('hands the caller the very same error object the tool threw', async () => {
    const agent = app.get(SupportAgent);
    const thrown = await agent.answer('q', { tool: 'throw' }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(OrderNotFoundError);
    expect(thrown).toBe(agent.lastToolError);
  });

  it('ends with step_error when a failing model call ends the run', async () => {
    const { events } = await ask(app, { model: 'throw' });
    expect(events.map((e) => e.event)).toEqual(['run_started', 'agent_step', 'llm_result', 'run_finished']);
    expect(events[2]).toMatchObject({ status: 'error', error_class: 'TypeError', level: 50 });
    expect(events[3]).toMatchObject({ status: 'error', stop_reason: 'step_error', first_error_step_index: 1, llm_calls: 1, tool_calls: 0 });
  });

  it('ends with error when the run body itself throws', async () => {
    const { events } = await ask(app, { bodyThrows: true });
    expect(events.at(-1)).toMatchObject({ status: 'error', stop_reason: 'error', errors: 0, error_class: 'RangeError' });
  });

  it('completes when the agent recovers from a tool error, counting the error', async () => {
    const { res, events } = await ask(app, { tool: 'throw', recover: true });
    expect(res.status).toBe(201);
    expect(events.at(-1)).toMatchObject({ status: 'ok', stop_reason: 'completed', errors: 1, first_error_step_index: 2 });
  });

  it('never writes the raw task, arguments or a personal error message', async () => {
    await ask(app, { tool: 'throw', bodyThrows: false });
    // Only our events: Nest's own ExceptionsHandler logs the error it caught, which is the app's choice.
    const raw = JSON.stringify(capture.events);
    expect(raw).not.toContain('where is my order');
    expect(raw).not.toContain('jane@example.com');
    expect(raw).not.toContain('"A-1"');
  });

  it('adds run_id and trace_id to the app\'s own log lines inside a run, and only once to events', async () => {
    const { events } = await ask(app, {});
    const own = capture.lines.find((l) => l.msg === 'answering a question')!;
    expect(own).toMatchObject({ run_id: events[0].run_id, trace_id: events[0].trace_id });
    for (const line of capture.raw.split('\n').filter((l) => l.includes('"event":"run_started"'))) {
      expect(line.match(/"run_id"/g)).toHaveLength(1);
    }
    const outside = capture.lines.find((l) => l.msg === 'request completed')!;
    expect(outside.run_id).toBeUndefined();
  });
});
