import { Controller, Get, Injectable, Query } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import request from 'supertest';
import { AgentLlm, AgentRun, AgentTool, agentTraceHeaders, currentAgentRun } from 'nestjs-agent-logging';
import { openTelemetry } from 'nestjs-agent-logging/opentelemetry';
import { capture, settleLogs, useApp } from '../support/boot';
import type { LogLine } from '../support/log-capture';
import { useOtelSdk } from '../support/otel-sdk';

const sdk = useOtelSdk();

/** What the code inside each step saw of OpenTelemetry's active span. */
const seen: Record<string, string | undefined> = {};

class OrderNotFoundError extends Error {}

@Injectable()
class Tools {
  @AgentTool('lookup_order')
  async lookupOrder(args: { id: string }) {
    seen.tool = trace.getActiveSpan()?.spanContext().spanId;
    // Work inside the tool (an auto-instrumented HTTP call, a user's own span) nests under the tool's span.
    await sdk.tracer().startActiveSpan('user work', async (span) => {
      seen.userSpan = span.spanContext().spanId;
      seen.headers = JSON.stringify(agentTraceHeaders());
      span.end();
    });
    if (args.id === 'missing') throw new OrderNotFoundError('no order sk-live-0123456789abcdefghijklmn');
    return { id: args.id, status: 'shipped' };
  }
}

@Injectable()
class Model {
  @AgentLlm({ model: 'gpt-4o-mini' })
  async complete(prompt: string) {
    seen.model = trace.getActiveSpan()?.spanContext().spanId;
    return {
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ finish_reason: 'tool_calls', message: { content: prompt } }],
      usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150, prompt_tokens_details: { cached_tokens: 100 } },
    };
  }

  /** No model configured: the span is named after the model the result reports. */
  @AgentLlm()
  async *stream(prompt: string) {
    seen.streamFirst = trace.getActiveSpan()?.spanContext().spanId;
    yield { model: 'gpt-4.1-2025-04-14', choices: [{ delta: { content: prompt }, finish_reason: null }] };
    await new Promise((r) => setTimeout(r, 5));
    // Each next() of a stream runs in the step's context again.
    seen.streamLater = trace.getActiveSpan()?.spanContext().spanId;
    yield { model: 'gpt-4.1-2025-04-14', choices: [{ delta: {}, finish_reason: 'stop' }] };
    yield { model: 'gpt-4.1-2025-04-14', choices: [], usage: { prompt_tokens: 10, completion_tokens: 7, total_tokens: 17 } };
  }
}

@Injectable()
class SupportAgent {
  constructor(
    private readonly tools: Tools,
    private readonly model: Model,
  ) {}

  @AgentRun('support')
  async answer(id: string) {
    seen.run = trace.getActiveSpan()?.spanContext().spanId;
    await this.model.complete(`where is ${id}?`);
    const order = await this.tools.lookupOrder({ id });
    for await (const _chunk of this.model.stream('ok')) {
      // read to the end
    }
    return { ...order, runId: currentAgentRun()!.runId };
  }

  /** A second model call past maxSteps is refused; the body answers anyway. */
  @AgentRun({ name: 'capped', maxSteps: 1 })
  async capped() {
    await this.model.complete('first');
    await this.model.complete('second').catch(() => undefined);
    return { runId: currentAgentRun()!.runId };
  }
}

@Controller()
class AgentController {
  constructor(private readonly agent: SupportAgent) {}

  @Get('answer')
  answer(@Query('id') id: string) {
    return this.agent.answer(id);
  }

  @Get('capped')
  capped() {
    return this.agent.capped();
  }
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER = '00f067aa0ba902b7';

async function runOf(runId: string): Promise<LogLine[]> {
  await settleLogs();
  await sdk.flush();
  return capture.eventsOf(runId);
}

describe('openTelemetry(): a span per run and step, exported by the real SDK over OTLP/HTTP', () => {
  const app = useApp({
    agentLogging: { integrations: [openTelemetry()] },
    metadata: { controllers: [AgentController], providers: [SupportAgent, Tools, Model] },
  });

  it('names, kinds and parents the spans by the GenAI conventions, each event carrying its span id, the caller its parent', async () => {
    const res = await request(app().getHttpServer())
      .get('/answer?id=A-1')
      .set('traceparent', `00-${TRACE}-${CALLER}-01`)
      .expect(200);
    const events = await runOf(res.body.runId);
    expect(events.map((e) => e.event)).toEqual([
      'run_started', 'agent_step', 'llm_result', 'agent_step', 'tool_call', 'tool_result', 'agent_step', 'llm_result', 'run_finished',
    ]);
    // Every event: the run's trace, flags, and the id of a span the receiver got.
    for (const e of events) {
      expect(e).toMatchObject({ trace_id: TRACE, trace_flags: '01' });
      expect(sdk.receiver.byId(e.span_id as string).traceId).toBe(TRACE);
    }
    const run = sdk.receiver.byId(events[0].span_id as string);
    const model = sdk.receiver.byId(events[1].span_id as string);
    const tool = sdk.receiver.byId(events[3].span_id as string);
    const stream = sdk.receiver.byId(events[6].span_id as string);
    expect(run).toMatchObject({ name: 'invoke_agent support', kind: 1, parentSpanId: CALLER, scope: 'nestjs-agent-logging' });
    expect(events[0].parent_span_id).toBe(CALLER);
    expect(model).toMatchObject({ name: 'chat gpt-4o-mini', kind: 3, parentSpanId: run.spanId });
    expect(tool).toMatchObject({ name: 'execute_tool lookup_order', kind: 1, parentSpanId: run.spanId });
    expect(stream).toMatchObject({ name: 'chat gpt-4.1-2025-04-14', kind: 3, parentSpanId: run.spanId });
    for (const e of events.slice(1, -1)) expect(e.parent_span_id).toBe(run.spanId);
    expect(run.schemaUrl).toBe('https://opentelemetry.io/schemas/gen-ai/1.42.0');

    // The code of each run and step ran with its own span active, across a stream's next() calls too.
    expect(seen).toMatchObject({ run: run.spanId, model: model.spanId, tool: tool.spanId, streamFirst: stream.spanId, streamLater: stream.spanId });
    const userSpan = sdk.receiver.byId(seen.userSpan!);
    expect(userSpan).toMatchObject({ name: 'user work', parentSpanId: tool.spanId, traceId: TRACE });
    // Outbound headers from inside it name the innermost span and the run.
    expect(JSON.parse(seen.headers!)).toEqual({
      traceparent: `00-${TRACE}-${seen.userSpan}-01`,
      baggage: `agent_log.run_id=${res.body.runId}`,
    });

    expect(run.attributes).toEqual({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support',
      'agent_log.run_id': res.body.runId,
      'agent_log.request_id': events[0].request_id,
      'agent_log.task_hash': events[0].task_hash,
      'agent_log.stop_reason': 'completed',
      'agent_log.total_steps': 3,
      'agent_log.tool_calls': 1,
      'agent_log.llm_calls': 2,
      'agent_log.errors': 0,
      'gen_ai.usage.input_tokens': 130,
      'gen_ai.usage.output_tokens': 37,
      'gen_ai.usage.cache_read.input_tokens': 100,
    });
    expect(model.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      // The decorator named the model; the answer named its version.
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'agent_log.step_index': 1,
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.usage.cache_read.input_tokens': 100,
    });
    expect(tool.attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'lookup_order',
      'agent_log.step_index': 2,
      'agent_log.args_hash': events[4].args_hash,
    });
    expect(stream.attributes).toMatchObject({ 'gen_ai.response.model': 'gpt-4.1-2025-04-14', 'gen_ai.response.finish_reasons': ['stop'] });
    expect(stream.attributes).not.toHaveProperty('gen_ai.request.model');
    for (const span of [run, model, tool, stream]) expect(span.status.code ?? 0).toBe(0);
  });

  it('marks a failed step and the run it ended with error.type and an error status, without the raw message', async () => {
    const res = await request(app().getHttpServer()).get('/answer?id=missing').expect(500);
    expect(res.body).toMatchObject({ statusCode: 500 });
    await settleLogs();
    await sdk.flush();
    const finished = capture.events.filter((e) => e.event === 'run_finished').at(-1)!;
    expect(finished).toMatchObject({ status: 'error', stop_reason: 'tool_error' });
    const events = capture.eventsOf(finished.run_id!);
    const tool = sdk.receiver.byId(events.find((e) => e.event === 'tool_result')!.span_id as string);
    const run = sdk.receiver.byId(finished.span_id as string);
    expect(tool.attributes).toMatchObject({ 'error.type': 'OrderNotFoundError' });
    expect(tool.status).toEqual({ code: 2, message: 'no order [api_key]' });
    expect(run.attributes).toMatchObject({ 'error.type': 'OrderNotFoundError', 'agent_log.stop_reason': 'tool_error', 'agent_log.first_error_step_index': 2 });
    expect(run.status.code).toBe(2);
    expect(JSON.stringify(sdk.receiver.spans)).not.toContain('sk-live-0123456789');
  });

  it('puts the limit that stopped a run on its span, as run_finished has it', async () => {
    const res = await request(app().getHttpServer()).get('/capped').expect(200);
    const events = await runOf((res.body as { runId: string }).runId);
    const finished = events.at(-1)!;
    expect(finished).toMatchObject({ stop_reason: 'max_steps', limit: { name: 'maxSteps', value: 1 } });
    const run = sdk.receiver.byId(finished.span_id as string);
    expect(run.attributes).toMatchObject({ 'agent_log.stop_reason': 'max_steps', 'agent_log.limit.name': 'maxSteps', 'agent_log.limit.value': 1 });
    expect(run.attributes).not.toHaveProperty('agent_log.limit.spent');
  });

  it('puts no content on a span: no arguments, prompts or results without capture', () => {
    const keys = sdk.receiver.spans.flatMap((s) => Object.keys(s.attributes));
    for (const key of ['gen_ai.tool.call.arguments', 'gen_ai.tool.call.result', 'agent_log.prompt', 'agent_log.output', 'agent_log.task']) {
      expect(keys).not.toContain(key);
    }
    expect(JSON.stringify(sdk.receiver.spans)).not.toContain('where is A-1');
  });
});
