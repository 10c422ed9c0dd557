import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Body, Controller, Headers, HttpException, Injectable, Post, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AgentRun, AgentTool, agentTraceHeaders, currentAgentRun } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';
import type { LogLine } from '../support/log-capture';
import { cliJson, runCli } from './support/produce-log';

/**
 * Two services, as on-call meets them: `frontdesk` answers the customer; its
 * tools ask the `billing` service over HTTP — once with the library's
 * `agentTraceHeaders()` (traceparent and baggage naming the run), once with
 * the traceparent alone (what an OpenTelemetry-only client sends). Both are
 * real instrumented Nest apps; their lines are split into one log file per
 * service, as each pod writes its own.
 */
let billingUrl = '';

@Injectable()
class FrontdeskAgents {
  @AgentRun('classify')
  async classify(question: string) {
    return question.includes('refund') ? 'billing' : 'general';
  }

  @AgentTool('check_billing')
  async checkBilling(args: { orderId: string; requestId: string }) {
    const res = await fetch(`${billingUrl}/bill`, {
      method: 'POST',
      headers: agentTraceHeaders({ 'content-type': 'application/json', 'x-request-id': args.requestId }),
      body: JSON.stringify({ orderId: args.orderId }),
    });
    return res.json();
  }

  @AgentTool('ask_billing_service')
  async askBilling(args: { orderId: string; requestId: string }) {
    const run = currentAgentRun()!;
    const res = await fetch(`${billingUrl}/bill`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: run.traceparent, 'x-request-id': args.requestId },
      body: JSON.stringify({ orderId: args.orderId }),
    });
    if (!res.ok) throw new Error(`billing answered ${res.status}`);
    return res.json();
  }

  @AgentRun('answer')
  async answer(orderId: string, requestId: string) {
    await this.checkBilling({ orderId: 'A-1', requestId });
    return this.askBilling({ orderId, requestId });
  }
}

@Controller()
class FrontdeskController {
  constructor(private readonly agents: FrontdeskAgents) {}

  /** Two runs in one request: classify, then answer (which calls the billing service). */
  @Post('ask')
  async ask(@Body() body: { question: string; orderId: string }, @Headers('x-request-id') requestId: string) {
    await this.agents.classify(body.question);
    return this.agents.answer(body.orderId, requestId);
  }
}

class GatewayTimeoutError extends Error {
  override name = 'GatewayTimeoutError';
}

@Injectable()
class BillingAgents {
  @AgentTool('refund_order')
  async refundOrder(args: { orderId: string }) {
    if (args.orderId !== 'A-1') throw new GatewayTimeoutError('payment gateway timed out');
    return { refunded: args.orderId };
  }

  @AgentRun('refunder')
  async refund(orderId: string) {
    return this.refundOrder({ orderId });
  }
}

@Controller()
class BillingController {
  constructor(private readonly agents: BillingAgents) {}

  @Post('bill')
  async bill(@Body() body: { orderId: string }) {
    try {
      return await this.agents.refund(body.orderId);
    } catch (err) {
      throw new HttpException({ message: 'billing failed' }, 502, { cause: err });
    }
  }
}

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const REQUEST = 'req-ask-77';

let dir: string;
let frontdeskLog: string;
let billingLog: string;
let events: LogLine[];
const runOf = (agent: string) => events.find((e) => e.event === 'run_started' && e.agent === agent)!;
/** The billing runs: the one called with baggage (a success), then the one called with the traceparent alone. */
const billingRuns = () => events.filter((e) => e.event === 'run_started' && e.agent === 'refunder');

beforeAll(async () => {
  capture.clear();
  const billing = await bootApp({ metadata: { controllers: [BillingController], providers: [BillingAgents] } });
  const frontdesk = await bootApp({ metadata: { controllers: [FrontdeskController], providers: [FrontdeskAgents] } });
  try {
    billingUrl = `http://127.0.0.1:${((billing.getHttpServer() as Server).address() as AddressInfo).port}`;
    await request(frontdesk.getHttpServer())
      .post('/ask')
      .set('x-request-id', REQUEST)
      .set('traceparent', `00-${TRACE}-00f067aa0ba902b7-01`)
      .send({ question: 'refund A-7', orderId: 'A-7' })
      .expect(500);
    await settleLogs();
  } finally {
    await frontdesk.close();
    await billing.close();
  }
  // One process wrote both apps' lines: each service's runs go to its own file, as two pods' logs would.
  events = capture.events;
  const lines = capture.raw.split('\n').filter((l) => l.length > 0);
  const billingIds = new Set(events.filter((e) => e.agent === 'refunder').map((e) => e.run_id));
  dir = mkdtempSync(join(tmpdir(), 'agent-log-lookups-'));
  frontdeskLog = join(dir, 'frontdesk.ndjson');
  billingLog = join(dir, 'billing.ndjson');
  const isBilling = (l: string) => [...billingIds].some((id) => l.includes(id as string));
  writeFileSync(frontdeskLog, lines.filter((l) => !isBilling(l)).join('\n') + '\n');
  writeFileSync(billingLog, lines.filter(isBilling).join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface TimelineRow {
  type: string;
  depth: number;
  run_id: string;
  name?: string;
  failure?: boolean;
}
interface ShowJson {
  matched_by: string;
  run: { run_id: string; agent: string };
  runs?: { run_id: string; agent: string; children: { run_id: string }[] }[];
  stops?: { run_id: string; sentence: string }[];
  timeline: TimelineRow[];
}

describe('the two services wrote what a real deployment writes', () => {
  it('links each billing run to the frontdesk step that called it: same trace, parent span the step; the run too with baggage', () => {
    const answer = runOf('answer');
    const [withBaggage, spanOnly] = billingRuns();
    const stepOf = (tool: string) => events.find((e) => e.event === 'agent_step' && e.run_id === answer.run_id && e.tool === tool)!;
    expect(answer.trace_id).toBe(TRACE);
    expect(withBaggage).toMatchObject({ trace_id: TRACE, parent_span_id: stepOf('check_billing').span_id, parent_run_id: answer.run_id, request_id: REQUEST });
    expect(spanOnly).toMatchObject({ trace_id: TRACE, parent_span_id: stepOf('ask_billing_service').span_id, request_id: REQUEST });
    expect(spanOnly.parent_run_id).toBeUndefined();
    expect(runOf('classify')).toMatchObject({ trace_id: TRACE, request_id: REQUEST });
  });
});

describe('agent-log show and html: by request id, by trace id', () => {
  it('a trace id finds every run of the trace in both services, as one tree: each billing run under the step that called it', () => {
    const show = cliJson<ShowJson>(['show', TRACE, frontdeskLog, billingLog]);
    const [withBaggage, spanOnly] = billingRuns().map((e) => e.run_id);
    expect(show.matched_by).toBe('trace_id');
    expect(show.runs!.map((r) => r.agent)).toEqual(['classify', 'answer']);
    expect(show.runs![1].children.map((c) => c.run_id)).toEqual([withBaggage, spanOnly]);
    const rows = show.timeline.map((r) => [r.type, r.depth, r.name ?? r.run_id]);
    for (const [tool, runId] of [['check_billing', withBaggage], ['ask_billing_service', spanOnly]]) {
      const stepAt = rows.findIndex((r) => r[2] === tool);
      expect(rows[stepAt + 1]).toEqual(['run', 2, runId]);
      expect(rows.slice(stepAt + 2).find((r) => r[0] === 'step')).toEqual(['step', 3, 'refund_order']);
    }
    expect(show.stops!.map((s) => s.sentence)).toEqual([
      'completed after 0 steps',
      'stopped: tool `ask_billing_service` failed with Error after 2 steps',
    ]);

    const text = runCli(['show', TRACE, frontdeskLog, billingLog]);
    expect(text.stdout).toContain(`trace ${TRACE}: 4 runs, 2 started on their own`);
    expect(text.stdout).toMatch(/1 tool refund_order ✖\s+error/);
  });

  it('a request id finds the runs the request started; without the billing log, only the frontdesk ones', () => {
    const both = cliJson<ShowJson>(['show', REQUEST, billingLog, frontdeskLog]);
    expect(both.matched_by).toBe('request_id');
    expect(both.timeline.filter((r) => r.type === 'run').map((r) => r.run_id)).toEqual([
      runOf('classify').run_id, runOf('answer').run_id, ...billingRuns().map((e) => e.run_id),
    ]);
    const one = cliJson<ShowJson>(['show', REQUEST, frontdeskLog]);
    expect(one.timeline.filter((r) => r.type === 'run').map((r) => r.run_id)).toEqual([runOf('classify').run_id, runOf('answer').run_id]);
  });

  it('a run id still wins: the run, and the other service\'s run it called with baggage (not the one called without)', () => {
    const show = cliJson<ShowJson>(['show', runOf('answer').run_id as string, frontdeskLog, billingLog]);
    expect(show.matched_by).toBe('run_id');
    expect(show.runs).toBeUndefined();
    expect(show.run.agent).toBe('answer');
    expect(show.timeline.filter((r) => r.type === 'run').map((r) => r.run_id)).toEqual([runOf('answer').run_id, billingRuns()[0].run_id]);
  });

  it('the same from standard input, the services interleaved', () => {
    const piped = cliJson<ShowJson>(['show', TRACE], { input: readFileSync(billingLog, 'utf8') + readFileSync(frontdeskLog, 'utf8') });
    expect(piped.timeline.filter((r) => r.type === 'run')).toHaveLength(4);
  });

  it('html takes a request or trace id too', () => {
    const out = join(dir, 'trace.html');
    const written = cliJson<{ matched_by: string; runs: number }>(['html', TRACE, frontdeskLog, billingLog, '-o', out]);
    expect(written).toMatchObject({ matched_by: 'trace_id', runs: 4 });
    const page = readFileSync(out, 'utf8');
    expect(page).toContain(`<title>agent runs of trace ${TRACE}</title>`);
    for (const e of billingRuns()) expect(page).toContain(e.run_id as string);
  });
});

describe('agent-log runs: request id and trace id', () => {
  interface RunsJson {
    runs: { run_id: string; agent: string; request_id?: string; trace_id?: string }[];
  }

  it('shows them and filters by them', () => {
    const all = cliJson<RunsJson>(['runs', frontdeskLog, billingLog]);
    for (const r of all.runs) expect(r).toMatchObject({ request_id: REQUEST, trace_id: TRACE });
    expect(cliJson<RunsJson>(['runs', frontdeskLog, billingLog, '--request', REQUEST]).runs.map((r) => r.agent).sort()).toEqual(['answer', 'classify', 'refunder', 'refunder']);
    expect(cliJson<RunsJson>(['runs', billingLog, '--trace', TRACE]).runs.map((r) => r.agent)).toEqual(['refunder', 'refunder']);
    expect(cliJson<RunsJson>(['runs', frontdeskLog, '--request', 'req-other']).runs).toEqual([]);
    const text = runCli(['runs', frontdeskLog]).stdout;
    expect(text).toMatch(/request\s/);
    expect(text).toContain(REQUEST);
  });
});
