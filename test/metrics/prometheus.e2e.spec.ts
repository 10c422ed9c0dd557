import { Controller, Get, Injectable, Post, type INestApplication } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { Registry } from 'prom-client';
import request from 'supertest';
import { AgentLlm, AgentLoggingConfigError, AgentRun, AgentTool, droppedEventCount, type AgentLoggingIntegration } from 'nestjs-agent-logging';
import { prometheusMetrics } from 'nestjs-agent-logging/prometheus';
import { bootApp, capture, settleLogs } from '../support/boot';
import { parseExposition, valueOf, type Sample } from './support/exposition';

class OutOfStock extends Error {
  override name = 'OutOfStock';
}

@Injectable()
class Tools {
  @AgentTool('search')
  async search(args: { q: string }) {
    return { q: args.q };
  }
  @AgentTool('reserve')
  async reserve(_args: { sku: string }) {
    throw new OutOfStock('sku A-1 for alice@example.com is out of stock');
  }
  @AgentTool('tool_a')
  async a() {
    return 1;
  }
  @AgentTool('tool_b')
  async b() {
    return 2;
  }
  @AgentTool('tool_c')
  async c() {
    return 3;
  }
}

@Injectable()
class Model {
  /** Anthropic Messages usage: input 100 + 300 cache reads + 50 cache writes = 450 input tokens. */
  @AgentLlm({ model: 'claude-sonnet-4' })
  async complete(_prompt: string) {
    return { model: 'claude-sonnet-4', stop_reason: 'end_turn', usage: { input_tokens: 100, output_tokens: 40, cache_read_input_tokens: 300, cache_creation_input_tokens: 50 } };
  }
}

let releaseParked!: () => void;

@Injectable()
class Agents {
  constructor(
    private readonly tools: Tools,
    private readonly model: Model,
  ) {}
  @AgentRun('support')
  async support() {
    await this.model.complete('hi');
    await this.tools.search({ q: 'order' });
    await this.tools.reserve({ sku: 'A-1' }).catch(() => undefined);
    return 'answered';
  }
  @AgentRun('checkout')
  async checkout() {
    await this.tools.reserve({ sku: 'A-1' });
  }
  @AgentRun('looping')
  async looping() {
    for (let i = 0; i < 3; i++) await this.tools.search({ q: 'same' });
  }
  @AgentRun('many_tools')
  async manyTools() {
    await this.tools.a();
    await this.tools.b();
    await this.tools.c();
  }
  @AgentRun('parked')
  async parked() {
    await new Promise<void>((resolve) => (releaseParked = resolve));
  }
}

@Controller('agent')
class AgentController {
  constructor(private readonly agents: Agents) {}
  @Post('support')
  support() {
    return this.agents.support();
  }
  @Post('checkout')
  checkout() {
    return this.agents.checkout().catch((err: Error) => ({ failed: err.name }));
  }
  @Post('looping')
  async looping() {
    await this.agents.looping();
  }
  @Post('many-tools')
  async manyTools() {
    await this.agents.manyTools();
  }
  @Get('park')
  park() {
    return this.agents.parked();
  }
}

/** Fails on every run_started: each failure is an event dropped. */
const throwing: AgentLoggingIntegration = {
  name: 'throwing',
  onEvent: (_run, event) => {
    if (event.event === 'run_started') throw new Error('integration bug');
  },
};

const capped = new Registry();

describe('Prometheus metrics served by @willsoto/nestjs-prometheus on /metrics', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({
      agentLogging: {
        loopGuard: true,
        prices: { 'claude-sonnet-4': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 } },
        integrations: [prometheusMetrics(), prometheusMetrics({ registry: capped, prefix: 'capped_', maxLabelValues: 2 }), throwing],
      },
      metadata: { imports: [PrometheusModule.register({ defaultMetrics: { enabled: false } })], controllers: [AgentController], providers: [Tools, Model, Agents] },
    });
  });
  afterAll(() => app.close());

  const scrape = async (): Promise<{ text: string; samples: Sample[] }> => {
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain;.* version=0\.0\.4/);
    return { text: res.text, samples: parseExposition(res.text) };
  };

  it('counts runs, tool and model calls, tokens and cost as the events say', async () => {
    capture.clear();
    const server = app.getHttpServer();
    for (let i = 0; i < 2; i++) await request(server).post('/agent/support').expect(201);
    expect((await request(server).post('/agent/checkout').expect(201)).body).toEqual({ failed: 'OutOfStock' });
    await settleLogs();
    const { samples } = await scrape();
    const finished = capture.events.filter((e) => e.event === 'run_finished');
    // The same facts as the run_finished events.
    expect(finished.map((e) => [e.agent, e.status, e.stop_reason])).toEqual([
      ['support', 'ok', 'completed'],
      ['support', 'ok', 'completed'],
      ['checkout', 'error', 'tool_error'],
    ]);
    expect(valueOf(samples, 'agent_runs_total', { agent: 'support', status: 'ok', stop_reason: 'completed' })).toBe(2);
    expect(valueOf(samples, 'agent_runs_total', { agent: 'checkout', status: 'error', stop_reason: 'tool_error' })).toBe(1);
    expect(valueOf(samples, 'agent_runs_started_total', { agent: 'support' })).toBe(2);
    expect(valueOf(samples, 'agent_tool_calls_total', { agent: 'support', tool: 'reserve', status: 'error' })).toBe(2);
    expect(valueOf(samples, 'agent_tool_calls_total', { agent: 'checkout', tool: 'reserve', status: 'error' })).toBe(1);
    expect(valueOf(samples, 'agent_tool_calls_total', { agent: 'support', tool: 'search', status: 'ok' })).toBe(2);
    expect(valueOf(samples, 'agent_tool_duration_seconds_count', { tool: 'reserve', status: 'error' })).toBe(3);
    expect(valueOf(samples, 'agent_llm_calls_total', { agent: 'support', model: 'claude-sonnet-4', status: 'ok' })).toBe(2);
    // Token kinds from token_usage: input counts cache reads and writes (450), each kind once.
    const tokens = (kind: string) => valueOf(samples, 'agent_llm_tokens_total', { agent: 'support', model: 'claude-sonnet-4', kind });
    expect([tokens('input'), tokens('output'), tokens('cache_read'), tokens('cache_write'), tokens('reasoning')]).toEqual([900, 80, 600, 100, undefined]);
    // Per call: 100 × $3 + 300 × $0.30 + 50 × $3.75 + 40 × $15, per million tokens = $0.0011775.
    expect(valueOf(samples, 'agent_llm_cost_usd_total', { agent: 'support', model: 'claude-sonnet-4' })).toBeCloseTo(2 * 0.0011775, 12);
    expect(valueOf(samples, 'agent_run_duration_seconds_count', { agent: 'support', status: 'ok' })).toBe(2);
    expect(valueOf(samples, 'agent_run_steps_sum', { agent: 'support' })).toBe(6);
    expect(valueOf(samples, 'agent_run_tool_calls_sum', { agent: 'support' })).toBe(4);
  });

  it('has buckets fit for model calls, up to 81.92 s, and for runs up to 409.6 s', async () => {
    const { samples } = await scrape();
    const bounds = (name: string) => samples.filter((s) => s.name === name && s.labels.model === 'claude-sonnet-4').map((s) => s.labels.le);
    expect(bounds('agent_llm_duration_seconds_bucket')).toEqual(['0.01', '0.02', '0.04', '0.08', '0.16', '0.32', '0.64', '1.28', '2.56', '5.12', '10.24', '20.48', '40.96', '81.92', '+Inf']);
    expect(samples.filter((s) => s.name === 'agent_run_duration_seconds_bucket' && s.labels.agent === 'support').at(-2)!.labels.le).toBe('409.6');
  });

  it('shows runs in flight while they run', async () => {
    const server = app.getHttpServer();
    const parked = request(server).get('/agent/park').then((r) => r);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(valueOf((await scrape()).samples, 'agent_runs_in_flight', { agent: 'parked' })).toBe(1);
    releaseParked();
    await parked;
    expect(valueOf((await scrape()).samples, 'agent_runs_in_flight', { agent: 'parked' })).toBe(0);
  });

  it('counts loops the guard detected', async () => {
    await request(app.getHttpServer()).post('/agent/looping').expect(201);
    expect(valueOf((await scrape()).samples, 'agent_loops_detected_total', { agent: 'looping', tool: 'search', action: 'warned' })).toBe(1);
  });

  it('counts events dropped: here each run_started the throwing integration could not take', async () => {
    const { samples } = await scrape();
    expect(droppedEventCount()).toBeGreaterThan(0);
    expect(valueOf(samples, 'agent_events_dropped_total')).toBe(droppedEventCount());
  });

  it('caps distinct label values: past maxLabelValues a name counts as "other"', async () => {
    await request(app.getHttpServer()).post('/agent/many-tools').expect(201);
    const samples = parseExposition(await capped.metrics());
    const tools = new Set(samples.filter((s) => s.name === 'capped_tool_calls_total').map((s) => s.labels.tool));
    // search and reserve came first; tool_a, tool_b and tool_c are folded together, as is every agent after support and checkout.
    expect([...tools].sort()).toEqual(['other', 'reserve', 'search']);
    expect(valueOf(samples, 'capped_tool_calls_total', { agent: 'other', tool: 'other', status: 'ok' })).toBe(3);
    expect(valueOf(samples, 'capped_tool_calls_total', { agent: 'other', tool: 'search', status: 'ok' })).toBe(3);
    expect(valueOf(samples, 'capped_runs_total', { agent: 'other', status: 'ok', stop_reason: 'completed' })).toBe(3);
  });

  it('never puts a run, trace or span id, nor an error message, in a label', async () => {
    const { text, samples } = await scrape();
    const ids = capture.events.flatMap((e) => [e.run_id, e.trace_id, e.span_id]).filter((v): v is string => typeof v === 'string');
    expect(ids.length).toBeGreaterThan(10);
    for (const id of new Set(ids)) expect(text).not.toContain(id);
    expect(text).not.toContain('alice@example.com');
    const labelNames = new Set(samples.flatMap((s) => Object.keys(s.labels)));
    expect([...labelNames].sort()).toEqual(['action', 'agent', 'kind', 'le', 'model', 'status', 'stop_reason', 'tool']);
  });
});

describe('prometheusMetrics options', () => {
  it.each([
    [{ prefix: 'agent-' }, /option "prefix" must be a metric name prefix/],
    [{ maxLabelValues: 0 }, /option "maxLabelValues" must be an integer from 1 to 10000, got 0/],
    [{ buckets: { call: [1, 0.5] } }, /option "buckets.call" must be an array of increasing numbers/],
    [{ buckets: { tool: [1] } }, /option "buckets" has an unknown key "tool"/],
    [{ prices: { m: { input: -1, output: 1 } } }, /option "prices" must be a price table/],
    [{ registry: {} }, /option "registry" must be a prom-client Registry/],
    [{ port: 9464 }, /unknown option "port"/],
  ])('refuses %j with a configuration error', (options, message) => {
    expect(() => prometheusMetrics(options as never)).toThrow(AgentLoggingConfigError);
    expect(() => prometheusMetrics(options as never)).toThrow(message);
  });

  it('shares the metrics of one registry between integrations, and refuses other buckets or a name someone else registered', () => {
    const registry = new Registry();
    prometheusMetrics({ registry });
    expect(() => prometheusMetrics({ registry })).not.toThrow();
    expect(registry.getMetricsAsArray().filter((m) => m.name === 'agent_runs_total')).toHaveLength(1);
    expect(() => prometheusMetrics({ registry, buckets: { run: [1, 2] } })).toThrow(/already registered with other buckets/);
    const other = new Registry();
    other.registerMetric({ name: 'agent_runs_total', get: async () => ({ name: 'agent_runs_total', help: '', type: 'counter', values: [], aggregator: 'sum' }) } as never);
    expect(() => prometheusMetrics({ registry: other })).toThrow(/"agent_runs_total" is already registered by someone else; give another prefix/);
  });
});
