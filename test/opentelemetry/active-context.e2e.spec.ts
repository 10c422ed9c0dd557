import { Test } from '@nestjs/testing';
import { LoggerModule } from 'nestjs-pino';
import { ProxyTracerProvider, TraceFlags, context, propagation, trace } from '@opentelemetry/api';
import {
  AgentLoggingConfigError,
  AgentLoggingModule,
  agentTraceHeaders,
  currentAgentRun,
  droppedEventCount,
  withAgentRun,
  withAgentTool,
  withAgentTraceContext,
  type AgentLoggingIntegration,
} from 'nestjs-agent-logging';
import { openTelemetry } from 'nestjs-agent-logging/opentelemetry';
import { Engine } from '../../src/core/engine';
import { capture, settleLogs, useApp } from '../support/boot';
import { useOtelSdk } from '../support/otel-sdk';

const sdk = useOtelSdk();

let headersSeen: Record<string, string> = {};
let traceparentSeen: string | undefined;
const lookup = withAgentTool('lookup', async (args: { id: string }) => {
  headersSeen = agentTraceHeaders({ 'Content-Type': 'application/json' });
  traceparentSeen = currentAgentRun()?.traceparent;
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

/** Where another service's step called from: a job's or message's propagation headers. */
const CALLER = { trace: 'd'.repeat(32), span: 'e'.repeat(16), run: '01a233ff-2b65-7bd4-a337-9f481eadf730' };
const carrier = { traceparent: `00-${CALLER.trace}-${CALLER.span}-01`, baggage: `agent_log.run_id=${CALLER.run},tenant=acme` };

/** Runs `fn` inside an active span of the app's own (a job processor's), as a worker auto-instrumented by OpenTelemetry would. */
async function inJobSpan<T>(fn: () => Promise<T>) {
  capture.clear();
  const outer = sdk.tracer().startSpan('process job');
  const result = await context.with(trace.setSpan(context.active(), outer), fn);
  outer.end();
  await settleLogs();
  await sdk.flush();
  return { outer: outer.spanContext(), result, events: capture.events };
}

describe.each([true, false])('spans %s: withAgentTraceContext inside an active span', (spans) => {
  useApp({ agentLogging: { integrations: [openTelemetry({ spans })] } });

  it('takes the carrier\'s trace, parent span, flags and calling run, all four, over the active span', async () => {
    const { outer, events } = await inJobSpan(() => withAgentTraceContext(carrier, () => agent('F-1')));
    expect(events.map((e) => e.event)).toEqual(['run_started', 'agent_step', 'tool_call', 'tool_result', 'run_finished']);
    for (const e of events) expect(e).toMatchObject({ trace_id: CALLER.trace, trace_flags: '01' });
    expect(events[0]).toMatchObject({ parent_span_id: CALLER.span, parent_run_id: CALLER.run });
    expect(events[0].trace_id).not.toBe(outer.traceId);
    if (spans) expect(sdk.receiver.byId(events[0].span_id as string)).toMatchObject({ traceId: CALLER.trace, parentSpanId: CALLER.span });
    // Outbound: one traceparent, whichever helper gives it; the caller's other baggage goes along, the run is the caller now.
    expect(traceparentSeen).toBe(headersSeen.traceparent);
    expect(headersSeen.traceparent).toMatch(new RegExp(`^00-${CALLER.trace}-[0-9a-f]{16}-01$`));
    expect(headersSeen.baggage.split(',').sort()).toEqual([`agent_log.run_id=${events[0].run_id}`, 'tenant=acme']);
  });

  it('runs the code in the carrier\'s context: a span the app opens inside joins the caller\'s trace, the run under it', async () => {
    let inner: { traceId: string; spanId: string } | undefined;
    const { events } = await inJobSpan(() =>
      withAgentTraceContext(carrier, () =>
        sdk.tracer().startActiveSpan('summarize', async (span) => {
          inner = span.spanContext();
          try {
            return await agent('F-2');
          } finally {
            span.end();
          }
        }),
      ),
    );
    await sdk.flush();
    expect(sdk.receiver.byId(inner!.spanId)).toMatchObject({ name: 'summarize', traceId: CALLER.trace, parentSpanId: CALLER.span });
    expect(events[0]).toMatchObject({ trace_id: CALLER.trace, parent_span_id: inner!.spanId, parent_run_id: CALLER.run });
  });

  it('a carrier without a trace starts a fresh one, neither the active span\'s nor its baggage\'s', async () => {
    const baggage = propagation.createBaggage({ 'agent_log.run_id': { value: CALLER.run } });
    const { outer, events } = await inJobSpan(() =>
      context.with(propagation.setBaggage(context.active(), baggage), () => withAgentTraceContext({ traceparent: 'garbage' }, () => agent('F-3'))),
    );
    expect(events[0].trace_id).not.toBe(outer.traceId);
    expect(events[0]).not.toHaveProperty('parent_span_id');
    expect(events[0]).not.toHaveProperty('parent_run_id');
  });
});

describe('agentTraceHeaders(base) with OpenTelemetry on', () => {
  useApp({ agentLogging: { integrations: [openTelemetry()] } });

  it('keeps the caller\'s own baggage beside the context\'s, each key once, the run id ours', async () => {
    let seen: Record<string, string> = {};
    const call = withAgentTool('call', () => {
      seen = agentTraceHeaders({ baggage: 'tenant=acme,plan=pro,agent_log.run_id=00000000-0000-7000-8000-000000000000', 'x-api-key': 'k' });
    });
    const baggage = propagation.createBaggage({ plan: { value: 'free' }, region: { value: 'eu' } });
    const { events } = await inJobSpan(() => context.with(propagation.setBaggage(context.active(), baggage), () => withAgentRun('bag', async () => call())()));
    expect(seen['x-api-key']).toBe('k');
    expect(seen.baggage.split(',').sort()).toEqual([`agent_log.run_id=${events[0].run_id}`, 'plan=pro', 'region=eu', 'tenant=acme']);
  });
});

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
    // currentAgentRun() names the same parent: one source for both.
    expect(traceparentSeen).toBe(headersSeen.traceparent);
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
    // outer, the run's start, the step's start, inject (for agentTraceHeaders and for currentAgentRun)
    expect(droppedEventCount() - dropped).toBe(5);
  });
});

/** A tracer of our own whose spans, all in `traceId`, enter and hear events as given. */
function spanTracer(name: string, traceId: string, enter: (fn: () => unknown) => unknown, onEvent: () => void = () => undefined): AgentLoggingIntegration {
  let next = 1;
  return {
    name,
    tracer: {
      start: () => ({ traceId, spanId: (next++).toString(16).padStart(16, '0'), traceFlags: '01', onEvent, enter: enter as <T>(fn: () => T) => T }),
    },
  };
}

describe('a span whose enter and onEvent throw', () => {
  let calls = 0;
  const counted = withAgentTool('counted', (n: number) => {
    calls += 1;
    return n * 2;
  });
  const twice = withAgentRun('twice', (n: number) => counted(n));
  const faulty = spanTracer('faulty', 'c'.repeat(32), () => {
    throw new Error('enter bug');
  }, () => {
    throw new Error('onEvent bug');
  });
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

describe('a span whose enter throws after calling the code', () => {
  const afterwards = spanTracer('afterwards', 'f'.repeat(32), (fn) => {
    fn();
    throw new Error('tracer cleanup bug');
  });
  useApp({ agentLogging: { integrations: [afterwards] } });

  it('gives the app the code\'s own outcome, never the tracer\'s error, and counts the tracer\'s', async () => {
    let calls = 0;
    const answer = withAgentRun('answers', () => ++calls && 42);
    const appError = new Error('the app\'s own');
    const fails = withAgentRun('fails', () => {
      throw appError;
    });
    const dropped = droppedEventCount();
    expect(answer()).toBe(42);
    expect(calls).toBe(1);
    expect(() => fails()).toThrow(appError);
    await expect(withAgentRun('later', async () => 'async')()).resolves.toBe('async');
    // The two whose code returned; where the code threw, its error came back through enter untouched.
    expect(droppedEventCount() - dropped).toBe(2);
  });
});

describe('a tracer that cannot take a carrier in', () => {
  const AMBIENT = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: '01' };
  const carrierOf = { traceparent: `00-${CALLER.trace}-${CALLER.span}-01`, baggage: `agent_log.run_id=${CALLER.run}` };
  let extract: (fn: () => unknown) => unknown = () => undefined;
  const stubborn: AgentLoggingIntegration = {
    name: 'stubborn',
    tracer: { outer: () => ({ position: AMBIENT }), extract: (_carrier, fn) => extract(fn) as never },
  };
  useApp({ agentLogging: { integrations: [stubborn] } });

  it.each([
    ['throws before calling the code', () => {
      throw new Error('extract bug');
    }],
    ['never calls it', () => undefined],
  ])('%s: the code runs once, its result the app\'s, the run in the carrier\'s trace, the fault counted', async (_n, behaviour) => {
    extract = behaviour;
    capture.clear();
    let calls = 0;
    const dropped = droppedEventCount();
    const result = await withAgentTraceContext(carrierOf, () => {
      calls += 1;
      return agent('G-1');
    });
    await settleLogs();
    expect(result).toBe('ok');
    expect(calls).toBe(1);
    expect(droppedEventCount() - dropped).toBe(1);
    expect(capture.events[0]).toMatchObject({ event: 'run_started', trace_id: CALLER.trace, parent_span_id: CALLER.span, parent_run_id: CALLER.run });
  });

  it('calls the code, then throws: the app gets the code\'s result, never the tracer\'s error', async () => {
    extract = (fn) => {
      fn();
      throw new Error('extract bug');
    };
    let calls = 0;
    const dropped = droppedEventCount();
    expect(withAgentTraceContext(carrierOf, () => ++calls)).toBe(1);
    expect(calls).toBe(1);
    expect(droppedEventCount() - dropped).toBe(1);
  });
});

describe('a run whose log cannot be opened', () => {
  it('still ends its span, with an error status and the failure\'s class, and the code runs undecorated', async () => {
    const engine = new Engine({
      sink: {
        openRun: () => {
          throw new TypeError('logger factory failed');
        },
        write: () => undefined,
      },
      integrations: [openTelemetry()],
    });
    engine.install();
    try {
      const dropped = droppedEventCount();
      await expect(withAgentRun('unopened', async () => 'ok')()).resolves.toBe('ok');
      expect(droppedEventCount() - dropped).toBe(1);
      await sdk.flush();
      const spans = sdk.receiver.spans.filter((s) => s.name === 'invoke_agent unopened');
      expect(spans).toEqual([expect.objectContaining({ status: expect.objectContaining({ code: 2 }), attributes: expect.objectContaining({ 'error.type': 'TypeError' }) })]);
    } finally {
      engine.uninstall();
    }
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
