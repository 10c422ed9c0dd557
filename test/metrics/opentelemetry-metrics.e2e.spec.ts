import { Controller, Injectable, Post, type INestApplication } from '@nestjs/common';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { metrics } from '@opentelemetry/api';
import request from 'supertest';
import { AgentLlm, AgentLoggingConfigError, AgentRun, AgentTool, droppedEventCount, type AgentLoggingIntegration } from 'nestjs-agent-logging';
import { GENAI_SEMCONV, openTelemetryMetrics } from 'nestjs-agent-logging/opentelemetry-metrics';
import { bootApp, capture, settleLogs } from '../support/boot';

class RateLimited extends Error {
  override name = 'RateLimited';
}

@Injectable()
class Tools {
  @AgentTool('search')
  async search(_args: { q: string }) {
    return 'hit';
  }
  @AgentTool('charge')
  async charge(_args: { amount: number }) {
    throw new RateLimited('card 4242 4242 4242 4242 declined');
  }
}

@Injectable()
class Model {
  /** OpenAI Chat Completions usage: 1200 prompt tokens (200 of them cached), 80 completion tokens (30 reasoning). */
  @AgentLlm({ model: 'gpt-4o-mini' })
  async complete(_prompt: string) {
    return {
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ finish_reason: 'stop' }],
      usage: { prompt_tokens: 1200, completion_tokens: 80, total_tokens: 1280, prompt_tokens_details: { cached_tokens: 200 }, completion_tokens_details: { reasoning_tokens: 30 } },
    };
  }
  @AgentLlm({ model: 'gpt-4o-mini' })
  async failing(_prompt: string): Promise<never> {
    throw new RateLimited('429 for org-123');
  }
}

@Injectable()
class Agents {
  constructor(
    private readonly tools: Tools,
    private readonly model: Model,
  ) {}
  @AgentRun('support')
  async support() {
    await this.model.complete('hi');
    await this.tools.search({ q: 'a' });
    await this.tools.search({ q: 'a' });
    await this.tools.search({ q: 'a' });
    await this.tools.charge({ amount: 5 }).catch(() => undefined);
    await this.model.failing('again').catch(() => undefined);
  }
  @AgentRun('billing')
  async billing() {
    await this.tools.charge({ amount: 5 });
  }
}

@Controller()
class AgentController {
  constructor(private readonly agents: Agents) {}
  @Post('support')
  async support() {
    await this.agents.support();
  }
  @Post('billing')
  async billing() {
    await this.agents.billing().catch(() => undefined);
  }
}

const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
// A long interval: the test reads on demand with forceFlush.
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
const meterProvider = new MeterProvider({ readers: [reader] });

const throwing: AgentLoggingIntegration = {
  name: 'throwing',
  onEvent: (_run, event) => {
    if (event.event === 'run_finished') throw new Error('integration bug');
  },
};

/** Every metric exported so far, by name. */
async function collect(): Promise<Map<string, MetricData>> {
  exporter.reset();
  await reader.forceFlush();
  const byName = new Map<string, MetricData>();
  for (const resource of exporter.getMetrics()) {
    for (const scope of resource.scopeMetrics) {
      expect(scope.scope.name).toBe('nestjs-agent-logging');
      for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
    }
  }
  return byName;
}

const points = (metric: MetricData | undefined) => (metric?.dataPoints ?? []) as DataPoint<number | Histogram>[];
const point = (metric: MetricData | undefined, attributes: Record<string, unknown>) => {
  const hits = points(metric).filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v) && Object.keys(p.attributes).length === Object.keys(attributes).length);
  expect(hits).toHaveLength(1);
  return hits[0];
};

describe(`OpenTelemetry metrics (${GENAI_SEMCONV}), read back through the SDK's in-memory exporter`, () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({
      agentLogging: {
        loopGuard: true,
        prices: { 'gpt-4o-mini': { input: 0.15, output: 0.6, cache_read: 0.075 } },
        integrations: [openTelemetryMetrics({ meterProvider }), throwing],
      },
      metadata: { controllers: [AgentController], providers: [Tools, Model, Agents] },
    });
    capture.clear();
    await request(app.getHttpServer()).post('/support').expect(201);
    await request(app.getHttpServer()).post('/billing').expect(201);
    await settleLogs();
  });
  afterAll(async () => {
    await app.close();
    await meterProvider.shutdown();
  });

  it('names the conventions\' version it follows', () => {
    expect(GENAI_SEMCONV).toBe('semantic-conventions-genai 0.1.0');
  });

  it('records each model call on gen_ai.client.operation.duration, in seconds, with the advised buckets and error.type on a failure', async () => {
    const metric = (await collect()).get('gen_ai.client.operation.duration')!;
    expect(metric.descriptor).toMatchObject({ unit: 's' });
    expect(metric.dataPointType).toBe(DataPointType.HISTOGRAM);
    const ok = point(metric, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini' }).value as Histogram;
    expect(ok.count).toBe(1);
    expect(ok.buckets.boundaries).toEqual([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]);
    const llm = capture.events.find((e) => e.event === 'llm_result' && e.status === 'ok')!;
    expect(ok.sum).toBeCloseTo((llm.latency_ms as number) / 1000, 9);
    const failed = point(metric, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'error.type': 'RateLimited' }).value as Histogram;
    expect(failed.count).toBe(1);
  });

  it('counts tokens on the gen_ai.client.inference.usage counters (modality unknown), and 0 for a call that reported none', async () => {
    const metrics = await collect();
    const spent = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.token.modality': 'unknown' };
    const value = (name: string) => point(metrics.get(name), spent).value;
    expect(metrics.get('gen_ai.client.inference.usage.input_tokens')!.descriptor).toMatchObject({ unit: '{token}' });
    // The failed call adds its 0: the conventions ask for a count on every call.
    expect(value('gen_ai.client.inference.usage.input_tokens')).toBe(1200);
    expect(value('gen_ai.client.inference.usage.output_tokens')).toBe(80);
    expect(value('gen_ai.client.inference.usage.cache_read.input_tokens')).toBe(200);
    expect(value('gen_ai.client.inference.usage.reasoning.output_tokens')).toBe(30);
    expect(metrics.has('gen_ai.client.inference.usage.cache_write.input_tokens')).toBe(false);
    const perCall = point(metrics.get('gen_ai.client.inference.operation.input_tokens'), { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini' }).value as Histogram;
    expect([perCall.count, perCall.sum]).toEqual([1, 1200]);
    // 1000 × $0.15 + 200 × $0.075 + 80 × $0.60, per million tokens.
    expect(point(metrics.get('agent_log.client.cost'), { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini' }).value).toBeCloseTo(0.000213, 12);
  });

  it('records tool calls on gen_ai.execute_tool.duration and runs on gen_ai.invoke_agent.duration', async () => {
    const metrics = await collect();
    const tool = metrics.get('gen_ai.execute_tool.duration')!;
    expect((point(tool, { 'gen_ai.tool.name': 'search', 'gen_ai.agent.name': 'support' }).value as Histogram).count).toBe(3);
    expect((point(tool, { 'gen_ai.tool.name': 'charge', 'gen_ai.agent.name': 'billing', 'error.type': 'RateLimited' }).value as Histogram).count).toBe(1);
    const agent = metrics.get('gen_ai.invoke_agent.duration')!;
    expect((point(agent, { 'gen_ai.agent.name': 'support' }).value as Histogram).buckets.boundaries.at(-1)).toBe(409.6);
    expect((point(agent, { 'gen_ai.agent.name': 'billing', 'error.type': 'RateLimited' }).value as Histogram).count).toBe(1);
  });

  it('counts runs by stop reason, runs in flight, loops and events dropped under agent_log.*', async () => {
    const metrics = await collect();
    expect(point(metrics.get('agent_log.runs'), { 'gen_ai.agent.name': 'support', 'agent_log.run.status': 'ok', 'agent_log.run.stop_reason': 'completed' }).value).toBe(1);
    expect(point(metrics.get('agent_log.runs'), { 'gen_ai.agent.name': 'billing', 'agent_log.run.status': 'error', 'agent_log.run.stop_reason': 'tool_error' }).value).toBe(1);
    expect(point(metrics.get('agent_log.runs.active'), { 'gen_ai.agent.name': 'support' }).value).toBe(0);
    expect(point(metrics.get('agent_log.loops_detected'), { 'gen_ai.agent.name': 'support', 'gen_ai.tool.name': 'search', 'agent_log.loop.action': 'warned' }).value).toBe(1);
    expect((point(metrics.get('agent_log.run.steps'), { 'gen_ai.agent.name': 'support' }).value as Histogram).sum).toBe(6);
    expect(droppedEventCount()).toBeGreaterThanOrEqual(2);
    expect(point(metrics.get('agent_log.events.dropped'), {}).value).toBe(droppedEventCount());
  });

  it('never puts an id or an error message in an attribute', async () => {
    const metrics = await collect();
    const values = [...metrics.values()].flatMap((m) => points(m).flatMap((p) => Object.values(p.attributes).map(String)));
    const ids = capture.events.flatMap((e) => [e.run_id, e.trace_id, e.span_id]).filter((v): v is string => typeof v === 'string');
    for (const id of ids) expect(values).not.toContain(id);
    expect(values.join(' ')).not.toMatch(/4242|org-123/);
  });
});

describe('the global MeterProvider', () => {
  it('is taken when the module starts: an SDK registered after forRoot was evaluated still gets the metrics', async () => {
    // As in an app whose module file is imported before main.ts starts the SDK.
    const integration = openTelemetryMetrics();
    const globalExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const globalReader = new PeriodicExportingMetricReader({ exporter: globalExporter, exportIntervalMillis: 3_600_000 });
    const globalProvider = new MeterProvider({ readers: [globalReader] });
    metrics.setGlobalMeterProvider(globalProvider);
    const app = await bootApp({ agentLogging: { integrations: [integration] }, metadata: { controllers: [AgentController], providers: [Tools, Model, Agents] } });
    try {
      await request(app.getHttpServer()).post('/billing').expect(201);
      await globalReader.forceFlush();
      const names = globalExporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name)));
      expect(names).toEqual(expect.arrayContaining(['gen_ai.execute_tool.duration', 'agent_log.runs']));
    } finally {
      await app.close();
      metrics.disable();
      await globalProvider.shutdown();
    }
  });
});

describe('openTelemetryMetrics options', () => {
  it.each([
    [{ meterProvider: {} }, /option "meterProvider" must be an OpenTelemetry MeterProvider/],
    [{ maxLabelValues: 1.5 }, /option "maxLabelValues" must be an integer/],
    [{ exporter: 'otlp' }, /unknown option "exporter"/],
  ])('refuses %j with a configuration error', (options, message) => {
    expect(() => openTelemetryMetrics(options as never)).toThrow(AgentLoggingConfigError);
    expect(() => openTelemetryMetrics(options as never)).toThrow(message);
  });
});
