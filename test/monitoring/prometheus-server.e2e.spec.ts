import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Injectable, Post, type INestApplication } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import request from 'supertest';
import { AgentLlm, AgentRun, AgentTool } from 'nestjs-agent-logging';
import { prometheusMetrics } from 'nestjs-agent-logging/prometheus';
import { bootApp, capture, settleLogs } from '../support/boot';
import { externalBinary } from '../support/external-binary';
import { startPrometheus, type PrometheusServer } from '../support/prometheus-server';

const monitoring = join(__dirname, '..', '..', 'monitoring');
const prometheus = externalBinary('prometheus', 'prometheus');
const describeWithPrometheus = prometheus ? describe : describe.skip;

class PaymentGatewayTimeoutError extends Error {
  override name = 'PaymentGatewayTimeoutError';
}

@Injectable()
class Tools {
  @AgentTool('search_docs')
  async searchDocs(_args: { q: string }) {
    return ['Refunds take 5 days'];
  }
  /** The payment gateway is down: every refund fails. */
  @AgentTool('create_refund')
  async createRefund(_args: { order: string }) {
    throw new PaymentGatewayTimeoutError('gateway timed out');
  }
}

@Injectable()
class Model {
  @AgentLlm({ model: 'gpt-4o-mini' })
  async complete(_prompt: string) {
    return { model: 'gpt-4o-mini', choices: [{ finish_reason: 'stop' }], usage: { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 } };
  }
}

@Injectable()
class SupportAgent {
  constructor(
    private readonly tools: Tools,
    private readonly model: Model,
  ) {}
  @AgentRun('support')
  async answer() {
    await this.model.complete('question');
    return this.tools.searchDocs({ q: 'refund' });
  }
  @AgentRun('refunds')
  async refund() {
    await this.model.complete('refund A-1002');
    return this.tools.createRefund({ order: 'A-1002' });
  }
}

@Controller('agent')
class AgentController {
  constructor(private readonly agent: SupportAgent) {}
  @Post('answer')
  answer() {
    return this.agent.answer();
  }
  @Post('refund')
  refund() {
    return this.agent.refund().catch((err: Error) => ({ failed: err.name }));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value, or fails after `ms`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/**
 * A real Prometheus server scrapes a real Nest app (metrics served by
 * @willsoto/nestjs-prometheus) every second while requests run, with the
 * shipped rule file loaded. The rules' `for:` durations (minutes, for
 * production) are set to 0 in the copy the test loads, and so are nothing else:
 * the expressions are the shipped ones.
 */
describeWithPrometheus('a Prometheus server scraping the app, with the shipped rules', () => {
  let app: INestApplication;
  let server: PrometheusServer;
  beforeAll(async () => {
    app = await bootApp({
      agentLogging: { integrations: [prometheusMetrics()] },
      metadata: { imports: [PrometheusModule.register({ defaultMetrics: { enabled: false } })], controllers: [AgentController], providers: [Tools, Model, SupportAgent] },
    });
    const { port } = app.getHttpServer().address() as { port: number };
    const rules = readFileSync(join(monitoring, 'prometheus', 'agent-alerts.rules.yml'), 'utf8').replace(/^(\s*)for: \S+$/gm, '$1for: 0s');
    server = await startPrometheus({ binary: prometheus!, targets: [`127.0.0.1:${port}`], rules: [rules] });
  }, 40_000);
  afterAll(async () => {
    await server?.stop();
    await app?.close();
  });

  it('counts what the events say, and fires AgentToolErrorRateRising while a tool keeps failing', async () => {
    capture.clear();
    const http = app.getHttpServer();
    let running = true;
    // Requests run while Prometheus scrapes: a refund (failing) and an answer (ok) every 50 ms.
    const traffic = (async () => {
      while (running) {
        await request(http).post('/agent/refund').expect(201, { failed: 'PaymentGatewayTimeoutError' });
        await request(http).post('/agent/answer').expect(201);
        await sleep(50);
      }
    })();
    try {
      const firing = await eventually('AgentToolErrorRateRising to fire', async () => {
        const alerts = await server.alerts();
        return alerts.find((a) => a.labels.alertname === 'AgentToolErrorRateRising' && a.state === 'firing');
      });
      expect(firing.labels).toEqual({ alertname: 'AgentToolErrorRateRising', agent: 'refunds', tool: 'create_refund', severity: 'warning' });
      expect(firing.annotations.summary).toBe('Tool create_refund of agent refunds fails on 100% of its calls');
      expect(firing.annotations.runbook).toMatch(/: agent-log runs --agent refunds --status error --sort errors --since 1h app\.log$/);
      // The tool that works does not alert; the agent whose every run fails does.
      const alerts = await server.alerts();
      expect(alerts.filter((a) => a.labels.tool === 'search_docs')).toEqual([]);
      expect(alerts.find((a) => a.labels.alertname === 'AgentRunFailureRateRising')?.labels).toMatchObject({ agent: 'refunds' });
    } finally {
      running = false;
      await traffic;
    }
    await settleLogs();

    // Once traffic stopped and a scrape or two went by, PromQL sees exactly the counts the events have.
    const events = capture.events;
    const failedRefunds = events.filter((e) => e.event === 'tool_result' && e.tool === 'create_refund' && e.status === 'error').length;
    const runsOk = events.filter((e) => e.event === 'run_finished' && e.agent === 'support' && e.status === 'ok').length;
    const inputTokens = events.filter((e) => e.event === 'llm_result').reduce((n, e) => n + (e.token_usage as { input_tokens: number }).input_tokens, 0);
    expect(failedRefunds).toBeGreaterThan(5);
    const scalar = async (expr: string) => {
      const { status, result } = await server.query(expr);
      expect(status).toBe('success');
      return result.length === 1 ? Number(result[0].value[1]) : undefined;
    };
    // A scrape that began after the last request ended.
    const stoppedAt = Date.now() / 1000;
    await eventually('a scrape after the traffic stopped', async () => ((await scalar('max(timestamp(up))'))! > stoppedAt + 0.1 ? true : undefined));
    expect(await scalar('sum(agent_tool_calls_total{tool="create_refund",status="error"})')).toBe(failedRefunds);
    expect(await scalar('sum(agent_runs_total{agent="support",status="ok",stop_reason="completed"})')).toBe(runsOk);
    expect(await scalar('sum(agent_runs_total{agent="refunds",status="error",stop_reason="tool_error"})')).toBe(failedRefunds);
    expect(await scalar('sum(agent_llm_tokens_total{kind="input"})')).toBe(inputTokens);
    expect(await scalar('sum(agent_runs_in_flight)')).toBe(0);
    expect(await scalar('histogram_quantile(0.95, sum by (le) (rate(agent_tool_duration_seconds_bucket{tool="search_docs"}[1m])))')).toBeLessThan(0.08);
  }, 60_000);

  it("runs every query of the shipped Grafana dashboard without an error", async () => {
    const dashboard = JSON.parse(readFileSync(join(monitoring, 'grafana', 'agent-runs.dashboard.json'), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        const expr = target.expr.replaceAll('$agent', '.*').replaceAll('$__rate_interval', '1m');
        const { status, error } = await server.query(expr);
        expect({ panel: panel.title, status, error }).toEqual({ panel: panel.title, status: 'success', error: undefined });
      }
    }
    // And the variable's query finds the agents.
    expect((await server.query('group by (agent) (agent_runs_total)')).result.map((r) => r.metric.agent).sort()).toEqual(['refunds', 'support']);
  });
});
