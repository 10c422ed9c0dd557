import { Test } from '@nestjs/testing';
import { LoggerModule } from 'nestjs-pino';
import { ProxyTracerProvider, TraceFlags, context, propagation, trace } from '@opentelemetry/api';
import {
  AgentLoggingConfigError,
  AgentLoggingModule,
  agentTraceHeaders,
  droppedEventCount,
  withAgentRun,
  withAgentTool,
  type AgentLoggingIntegration,
} from 'nestjs-agent-logging';
import { openTelemetry } from 'nestjs-agent-logging/opentelemetry';
import { capture, settleLogs, useApp } from '../support/boot';
import { useOtelSdk } from '../support/otel-sdk';

const sdk = useOtelSdk();

let headersSeen: Record<string, string> = {};
const lookup = withAgentTool('lookup', async (args: { id: string }) => {
  headersSeen = agentTraceHeaders({ 'Content-Type': 'application/json' });
  return { id: args.id, secret: 'sk-live-0123456789abcdefghijklmn' };
});
const agent = withAgentRun('ctx_agent', async (id: string) => {
  await lookup({ id });
  return 'ok';
});

/** Runs the agent inside an active span of the app's own tracer, as inside an auto-instrumented request. */
async function insideSpan<T>(fn: () => Promise<T>, flags = TraceFlags.SAMPLED) {
  const sampled = flags === TraceFlags.SAMPLED;
  const outer = sampled ? sdk.tracer().startSpan('GET /ask') : trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: flags });
  const result = await context.with(trace.setSpan(context.active(), outer), fn);
  outer.end();
  await settleLogs();
  await sdk.flush();
  return { outer: outer.spanContext(), result, events: capture.events.filter((e) => e.trace_id === outer.spanContext().traceId) };
}

describe('with spans: a run started inside an active OpenTelemetry span', () => {
  useApp({ agentLogging: { integrations: [openTelemetry()] } });

  it('joins its trace: the run span is a child of the active span, and so is the run_started line', async () => {
    capture.clear();
    const { outer, events } = await insideSpan(() => agent('A-1'));
    expect(events.map((e) => e.event)).toEqual(['run_started', 'agent_step', 'tool_call', 'tool_result', 'run_finished']);
    expect(events[0]).toMatchObject({ trace_id: outer.traceId, parent_span_id: outer.spanId, trace_flags: '01' });
    const run = sdk.receiver.byId(events[0].span_id as string);
    expect(run).toMatchObject({ name: 'invoke_agent ctx_agent', traceId: outer.traceId, parentSpanId: outer.spanId });
    expect(sdk.receiver.byId(outer.spanId)).toMatchObject({ name: 'GET /ask', scope: 'test' });
  });

  it('follows a parent that is not sampled: the lines say 00 and no span of the run is exported', async () => {
    capture.clear();
    const before = sdk.receiver.spans.length;
    const { outer, events } = await insideSpan(() => agent('A-2'), TraceFlags.NONE);
    expect(events).toHaveLength(5);
    for (const e of events) expect(e).toMatchObject({ trace_id: outer.traceId, trace_flags: '00' });
    expect(events[0].parent_span_id).toBe(outer.spanId);
    expect(sdk.receiver.spans.length).toBe(before);
    // Still one id per span, as the SDK made them for the unsampled spans.
    expect(new Set(events.map((e) => e.span_id)).size).toBe(2);
  });

  it('takes the calling run from the context baggage (a job or message whose propagation OpenTelemetry extracted)', async () => {
    capture.clear();
    const caller = '01a233ff-2b65-7bd4-a337-9f481eadf730';
    const baggage = propagation.createBaggage({ 'agent_log.run_id': { value: caller }, tenant: { value: 'acme' } });
    const { events } = await insideSpan(() => context.with(propagation.setBaggage(context.active(), baggage), () => agent('A-3')));
    expect(events[0]).toMatchObject({ event: 'run_started', parent_run_id: caller });
    const run = sdk.receiver.byId(events[0].span_id as string);
    expect(run.attributes).toMatchObject({ 'agent_log.parent_run_id': caller });
    // Outbound, this run is the caller now; the app's other baggage goes along.
    expect(headersSeen.baggage.split(',').sort()).toEqual([`agent_log.run_id=${events[0].run_id}`, 'tenant=acme']);
    expect(headersSeen).toMatchObject({ 'content-type': 'application/json', traceparent: `00-${events[0].trace_id}-${events[2].span_id}-01` });
  });

  it('ends the span of a step the run left behind as cancelled when the run ends', async () => {
    capture.clear();
    const hang = withAgentTool('hang', () => new Promise<never>(() => undefined));
    const leaves = withAgentRun('leaves', async () => {
      void hang();
      return 'done';
    });
    const { events } = await insideSpan(() => leaves());
    expect(events.map((e) => [e.event, e.status])).toEqual([
      ['run_started', undefined], ['agent_step', undefined], ['tool_call', undefined], ['tool_result', 'cancelled'], ['run_finished', 'ok'],
    ]);
    const tool = sdk.receiver.byId(events[1].span_id as string);
    expect(tool).toMatchObject({ name: 'execute_tool hang', status: {} });
    expect(tool.attributes['agent_log.status']).toBe('cancelled');
  });
});

describe('with spans: false, runs take the trace only', () => {
  useApp({ agentLogging: { integrations: [openTelemetry({ spans: false })] } });

  it('writes the active trace and parent on the lines, exports no span of its own, and propagates the active context', async () => {
    capture.clear();
    const before = sdk.receiver.spans.length;
    const { outer, events } = await insideSpan(() => agent('B-1'));
    expect(events[0]).toMatchObject({ trace_id: outer.traceId, parent_span_id: outer.spanId, trace_flags: '01' });
    // Only the app's own span reached the receiver.
    expect(sdk.receiver.spans.slice(before).map((s) => s.name)).toEqual(['GET /ask']);
    // No span of ours to point at: the active span is the parent a downstream service sees, the run its caller.
    expect(headersSeen).toMatchObject({ traceparent: `00-${outer.traceId}-${outer.spanId}-01`, baggage: `agent_log.run_id=${events[0].run_id}` });
  });
});

describe('with capture on', () => {
  useApp({ agentLogging: { capture: { args: true, results: true }, integrations: [openTelemetry()] } });

  it('puts the captured arguments and result on the tool span, redacted and scrubbed as on the line', async () => {
    capture.clear();
    const { events } = await insideSpan(() => agent('C-1'));
    const tool = sdk.receiver.byId(events[2].span_id as string);
    expect(tool.attributes['gen_ai.tool.call.arguments']).toBe(events[2].args);
    expect(tool.attributes['gen_ai.tool.call.result']).toBe(events[3].result);
    expect(tool.attributes['gen_ai.tool.call.result']).not.toContain('sk-live-0123456789');
    expect(sdk.receiver.byId(events[0].span_id as string).attributes['agent_log.task']).toBe(events[0].task);
  });
});

describe('without an SDK registered (the API alone)', () => {
  useApp({ agentLogging: { integrations: [openTelemetry({ tracerProvider: new ProxyTracerProvider() })] } });

  it('writes the events with ids of its own, one per span', async () => {
    capture.clear();
    await agent('D-1');
    await settleLogs();
    const events = capture.events;
    expect(events).toHaveLength(5);
    expect(events[0].span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(events[2].span_id).not.toBe(events[0].span_id);
    expect(events[2].parent_span_id).toBe(events[0].span_id);
  });
});

describe('a tracer that throws', () => {
  const broken: AgentLoggingIntegration = {
    name: 'broken',
    tracer: {
      outer: () => {
        throw new Error('outer bug');
      },
      start: () => {
        throw new Error('start bug');
      },
      inject: () => {
        throw new Error('inject bug');
      },
    },
  };
  useApp({ agentLogging: { integrations: [broken] } });

  it('is counted, and the run goes on with ids of its own', async () => {
    capture.clear();
    const dropped = droppedEventCount();
    await expect(agent('E-1')).resolves.toBe('ok');
    await settleLogs();
    expect(capture.events.map((e) => e.event)).toEqual(['run_started', 'agent_step', 'tool_call', 'tool_result', 'run_finished']);
    expect(headersSeen.traceparent).toBe(`00-${capture.events[0].trace_id}-${capture.events[2].span_id}-01`);
    // outer, the run's start, the step's start, inject
    expect(droppedEventCount() - dropped).toBe(4);
  });
});

describe('a span whose enter and onEvent throw', () => {
  let calls = 0;
  const counted = withAgentTool('counted', (n: number) => {
    calls += 1;
    return n * 2;
  });
  const twice = withAgentRun('twice', (n: number) => counted(n));
  let next = 1;
  const faulty: AgentLoggingIntegration = {
    name: 'faulty',
    tracer: {
      start: () => ({
        traceId: 'c'.repeat(32),
        spanId: (next++).toString(16).padStart(16, '0'),
        traceFlags: '01',
        onEvent: () => {
          throw new Error('onEvent bug');
        },
        enter: () => {
          throw new Error('enter bug');
        },
      }),
    },
  };
  useApp({ agentLogging: { integrations: [faulty] } });

  it('still calls the code exactly once, with its result, and writes every event with the span ids', async () => {
    capture.clear();
    const dropped = droppedEventCount();
    expect(twice(21)).toBe(42);
    expect(calls).toBe(1);
    await settleLogs();
    const events = capture.events;
    expect(events.map((e) => e.event)).toEqual(['run_started', 'agent_step', 'tool_call', 'tool_result', 'run_finished']);
    expect(events.map((e) => e.trace_id)).toEqual(Array(5).fill('c'.repeat(32)));
    expect(events[2].parent_span_id).toBe(events[0].span_id);
    // two enters, five onEvents
    expect(droppedEventCount() - dropped).toBe(7);
  });
});

describe('configuration', () => {
  it('rejects unknown or mistyped options of openTelemetry()', () => {
    expect(() => openTelemetry({ spanz: true } as never)).toThrow(new AgentLoggingConfigError('openTelemetry(options): unknown option "spanz" (known: spans, tracerProvider)'));
    expect(() => openTelemetry({ spans: 'yes' } as never)).toThrow(AgentLoggingConfigError);
    expect(() => openTelemetry({ tracerProvider: {} } as never)).toThrow(/tracerProvider must be an OpenTelemetry TracerProvider/);
  });

  it('fails the boot when two integrations would both trace the runs', async () => {
    const boot = Test.createTestingModule({
      imports: [LoggerModule.forRoot({ pinoHttp: [{ level: 'silent' }, capture] }), AgentLoggingModule.forRoot({ integrations: [openTelemetry(), openTelemetry()] })],
    }).compile();
    await expect(boot).rejects.toThrow(new AgentLoggingConfigError('integrations: only one may trace runs, got opentelemetry, opentelemetry'));
  });
});
