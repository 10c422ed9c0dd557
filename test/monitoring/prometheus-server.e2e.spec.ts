import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Logger } from 'nestjs-pino';
import request from 'supertest';
import type { LogLine } from '../support/log-capture';
import { externalBinary } from '../support/external-binary';
import { startPrometheus, type PrometheusServer } from '../support/prometheus-server';

const root = join(__dirname, '..', '..');
const monitoring = join(root, 'monitoring');
const prometheus = externalBinary('prometheus', 'prometheus');
const describeWithPrometheus = prometheus ? describe : describe.skip;

/** The questions `npm run demo` asks, to the decorated agent and to the AI SDK one. */
const { SUPPORT_QUESTIONS, ORDER_DESK_QUESTIONS } = require(join(root, 'scripts', 'demo-requests.js')) as Record<string, { question: string }[]>;

// The sample app picks its log destination when its module is loaded, as in the demo.
const dir = mkdtempSync(join(tmpdir(), 'sample-app-metrics-'));
const logFile = join(dir, 'agent-events.ndjson');

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
 * A real Prometheus server scrapes the sample app (its /metrics served by
 * @willsoto/nestjs-prometheus, counted by prometheusMetrics(), booted as
 * test/e2e/sample-app.e2e.spec.ts boots it) every second while the demo's
 * requests run, with the shipped rule file loaded. The rules' `for:` durations
 * (minutes, for production) are set to 0 in the copy the test loads, and
 * nothing else: the expressions are the shipped ones.
 */
describeWithPrometheus('a Prometheus server scraping the sample app, with the shipped rules', () => {
  let app: INestApplication;
  let server: PrometheusServer;
  beforeAll(async () => {
    process.env.AGENT_LOG_FILE = logFile;
    // Required only now, after AGENT_LOG_FILE is set (an import would be hoisted above it).
    const { AppModule } = require('../../sample-app/src/app.module.js') as typeof import('../../sample-app/src/app.module.js', { with: { 'resolution-mode': 'import' } });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ bufferLogs: true });
    app.useLogger(app.get(Logger));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    const rules = readFileSync(join(monitoring, 'prometheus', 'agent-alerts.rules.yml'), 'utf8').replace(/^(\s*)for: \S+$/gm, '$1for: 0s');
    server = await startPrometheus({ binary: prometheus!, targets: [`127.0.0.1:${port}`], rules: [rules] });
  }, 40_000);
  afterAll(async () => {
    await server?.stop();
    await app?.close();
    delete process.env.AGENT_LOG_FILE;
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts what the events say, and fires AgentToolErrorRateRising while a tool keeps failing', async () => {
    const http = app.getHttpServer();
    let running = true;
    let sent = 0;
    // The demo's requests, round after round, while Prometheus scrapes: the refund's create_refund fails every time.
    const traffic = (async () => {
      while (running) {
        for (const body of SUPPORT_QUESTIONS) await request(http).post('/support/ask').send(body).then(() => sent++);
        for (const body of ORDER_DESK_QUESTIONS) await request(http).post('/orders/ask').send(body).then(() => sent++);
      }
    })();
    try {
      const firing = await eventually('AgentToolErrorRateRising to fire', async () => {
        const alerts = await server.alerts();
        return alerts.find((a) => a.labels.alertname === 'AgentToolErrorRateRising' && a.state === 'firing');
      });
      expect(firing.labels).toEqual({ alertname: 'AgentToolErrorRateRising', agent: 'support', tool: 'create_refund', severity: 'warning' });
      expect(firing.annotations.summary).toBe('Tool create_refund of agent support fails on 100% of its calls');
      expect(firing.annotations.runbook).toMatch(/: agent-log runs --agent support --status error --sort errors --since 1h app\.log$/);
      // Tools that fail now and then (lookup_order on an unknown order: a third of its calls) do not alert;
      // the agent most of whose runs fail does, and so does the runaway's repeated search.
      const alerts = await eventually('AgentLoopDetected to fire', async () => {
        const now = await server.alerts();
        return now.some((a) => a.labels.alertname === 'AgentLoopDetected' && a.state === 'firing') ? now : undefined;
      });
      expect(alerts.filter((a) => a.labels.alertname === 'AgentToolErrorRateRising').map((a) => a.labels.tool)).toEqual(['create_refund']);
      expect(alerts.find((a) => a.labels.alertname === 'AgentRunFailureRateRising')?.labels).toMatchObject({ agent: 'support' });
      expect(alerts.find((a) => a.labels.alertname === 'AgentLoopDetected')?.labels).toEqual({
        alertname: 'AgentLoopDetected', agent: 'support', tool: 'search_docs', action: 'warned', severity: 'warning',
      });
    } finally {
      running = false;
      await traffic;
    }
    const scalar = async (expr: string) => {
      const { status, result } = await server.query(expr);
      expect(status).toBe('success');
      return result.length === 1 ? Number(result[0].value[1]) : undefined;
    };
    // A scrape that began after the last request ended.
    const stoppedAt = Date.now() / 1000;
    await eventually('a scrape after the traffic stopped', async () => ((await scalar('max(timestamp(up))'))! > stoppedAt + 0.1 ? true : undefined));
    const counted = {
      failedRefunds: await scalar('sum(agent_tool_calls_total{tool="create_refund",status="error"})'),
      supportOk: await scalar('sum(agent_runs_total{agent="support",status="ok",stop_reason="completed"})'),
      supportToolErrors: await scalar('sum(agent_runs_total{agent="support",status="error",stop_reason="tool_error"})'),
      runawayStops: await scalar('sum(agent_runs_total{agent="support",stop_reason="max_steps"})'),
      orderDeskRuns: await scalar('sum(agent_runs_total{agent="order_desk"})'),
      inputTokens: await scalar('sum(agent_llm_tokens_total{kind="input"})'),
      loops: await scalar('sum(agent_loops_detected_total{tool="search_docs",action="warned"})'),
      inFlight: await scalar('sum(agent_runs_in_flight)'),
    };
    expect(await scalar('histogram_quantile(0.95, sum by (le) (rate(agent_tool_duration_seconds_bucket{tool="search_docs"}[1m])))')).toBeLessThan(0.08);

    // What the app wrote to its log, once the asynchronous file destination has written the last run out.
    let events: LogLine[] = [];
    for (let i = 0; i < 100; i++) {
      events = readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine).filter((l) => l.schema === 'agent-log/1');
      if (events.filter((e) => e.event === 'run_finished').length >= sent) break;
      await sleep(20);
    }
    const count = (pick: (e: LogLine) => boolean) => events.filter(pick).length;
    const finished = (agent: string, status: string | undefined, stop: string) => (e: LogLine) =>
      e.event === 'run_finished' && e.agent === agent && (status === undefined || e.status === status) && e.stop_reason === stop;
    expect(count((e) => e.event === 'run_finished')).toBe(sent);
    expect(counted).toEqual({
      failedRefunds: count((e) => e.event === 'tool_result' && e.tool === 'create_refund' && e.status === 'error'),
      supportOk: count(finished('support', 'ok', 'completed')),
      supportToolErrors: count(finished('support', 'error', 'tool_error')),
      runawayStops: count(finished('support', undefined, 'max_steps')),
      orderDeskRuns: count((e) => e.event === 'run_finished' && e.agent === 'order_desk'),
      inputTokens: events.filter((e) => e.event === 'llm_result').reduce((n, e) => n + ((e.token_usage as { input_tokens?: number } | undefined)?.input_tokens ?? 0), 0),
      loops: count((e) => e.event === 'loop_detected' && e.tool === 'search_docs' && e.action === 'warned'),
      inFlight: 0,
    });
    expect(counted.failedRefunds).toBeGreaterThan(2);
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
    expect((await server.query('group by (agent) (agent_runs_total)')).result.map((r) => r.metric.agent).sort()).toEqual(['order_desk', 'support']);
  });
});
