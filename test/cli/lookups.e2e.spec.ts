import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Body, Controller, Headers, HttpException, Injectable, Post, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AgentRun, AgentTool, currentAgentRun } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';
import type { LogLine } from '../support/log-capture';
import { cliJson, runCli } from './support/produce-log';

/**
 * Two services, as on-call meets them: `frontdesk` answers the customer; its
 * tool asks the `billing` service over HTTP, passing the run's traceparent
 * and the request id. Both are real instrumented Nest apps; their lines are
 * split into one log file per service, as each pod writes its own.
 */
let billingUrl = '';

@Injectable()
class FrontdeskAgents {
  @AgentRun('classify')
  async classify(question: string) {
    return question.includes('refund') ? 'billing' : 'general';
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
  async refundOrder(_args: { orderId: string }) {
    throw new GatewayTimeoutError('payment gateway timed out');
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
  const billingRuns = new Set(events.filter((e) => e.agent === 'refunder').map((e) => e.run_id));
  dir = mkdtempSync(join(tmpdir(), 'agent-log-lookups-'));
  frontdeskLog = join(dir, 'frontdesk.ndjson');
  billingLog = join(dir, 'billing.ndjson');
  const isBilling = (l: string) => [...billingRuns].some((id) => l.includes(id as string));
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
  it('links the billing run to the frontdesk step that called it: same trace, parent span the step', () => {
    const answer = runOf('answer');
    const refunder = runOf('refunder');
    const step = events.find((e) => e.event === 'agent_step' && e.run_id === answer.run_id && e.tool === 'ask_billing_service')!;
    expect(answer.trace_id).toBe(TRACE);
    expect(refunder).toMatchObject({ trace_id: TRACE, parent_span_id: step.span_id, request_id: REQUEST });
    expect(refunder.parent_run_id).toBeUndefined();
    expect(runOf('classify')).toMatchObject({ trace_id: TRACE, request_id: REQUEST });
  });
});

describe('agent-log show and html: by request id, by trace id', () => {
  it('a trace id finds every run of the trace in both services, as one tree: the billing run under the step that called it', () => {
    const show = cliJson<ShowJson>(['show', TRACE, frontdeskLog, billingLog]);
    expect(show.matched_by).toBe('trace_id');
    expect(show.runs!.map((r) => r.agent)).toEqual(['classify', 'answer']);
    expect(show.runs![1].children.map((c) => c.run_id)).toEqual([runOf('refunder').run_id]);
    const rows = show.timeline.map((r) => [r.type, r.depth, r.name ?? r.run_id]);
    const stepAt = rows.findIndex((r) => r[2] === 'ask_billing_service');
    expect(rows[stepAt + 1]).toEqual(['run', 2, runOf('refunder').run_id]);
    expect(rows.slice(stepAt + 2).find((r) => r[0] === 'step')).toEqual(['step', 3, 'refund_order']);
    expect(show.stops!.map((s) => s.sentence)).toEqual([
      'completed after 0 steps',
      'stopped: tool `ask_billing_service` failed with Error after 1 step',
    ]);

    const text = runCli(['show', TRACE, frontdeskLog, billingLog]);
    expect(text.stdout).toContain(`trace ${TRACE}: 3 runs, 2 started on their own`);
    expect(text.stdout).toMatch(/1 tool refund_order ✖\s+error/);
  });

  it('a request id finds the runs the request started; without the billing log, only the frontdesk ones', () => {
    const both = cliJson<ShowJson>(['show', REQUEST, billingLog, frontdeskLog]);
    expect(both.matched_by).toBe('request_id');
    expect(both.timeline.filter((r) => r.type === 'run').map((r) => r.run_id)).toEqual([
      runOf('classify').run_id, runOf('answer').run_id, runOf('refunder').run_id,
    ]);
    const one = cliJson<ShowJson>(['show', REQUEST, frontdeskLog]);
    expect(one.timeline.filter((r) => r.type === 'run').map((r) => r.run_id)).toEqual([runOf('classify').run_id, runOf('answer').run_id]);
  });

  it('a run id still wins, and finds only that run (its own nested runs, not another service\'s)', () => {
    const show = cliJson<ShowJson>(['show', runOf('answer').run_id as string, frontdeskLog, billingLog]);
    expect(show.matched_by).toBe('run_id');
    expect(show.runs).toBeUndefined();
    expect(show.run.agent).toBe('answer');
  });

  it('the same from standard input, the services interleaved', () => {
    const piped = cliJson<ShowJson>(['show', TRACE], { input: readFileSync(billingLog, 'utf8') + readFileSync(frontdeskLog, 'utf8') });
    expect(piped.timeline.filter((r) => r.type === 'run')).toHaveLength(3);
  });

  it('html takes a request or trace id too', () => {
    const out = join(dir, 'trace.html');
    const written = cliJson<{ matched_by: string; runs: number }>(['html', TRACE, frontdeskLog, billingLog, '-o', out]);
    expect(written).toMatchObject({ matched_by: 'trace_id', runs: 3 });
    const page = readFileSync(out, 'utf8');
    expect(page).toContain(`<title>agent runs of trace ${TRACE}</title>`);
    expect(page).toContain(runOf('refunder').run_id as string);
  });
});

describe('agent-log runs: request id and trace id', () => {
  interface RunsJson {
    runs: { run_id: string; agent: string; request_id?: string; trace_id?: string }[];
  }

  it('shows them and filters by them', () => {
    const all = cliJson<RunsJson>(['runs', frontdeskLog, billingLog]);
    for (const r of all.runs) expect(r).toMatchObject({ request_id: REQUEST, trace_id: TRACE });
    expect(cliJson<RunsJson>(['runs', frontdeskLog, billingLog, '--request', REQUEST]).runs.map((r) => r.agent).sort()).toEqual(['answer', 'classify', 'refunder']);
    expect(cliJson<RunsJson>(['runs', billingLog, '--trace', TRACE]).runs.map((r) => r.agent)).toEqual(['refunder']);
    expect(cliJson<RunsJson>(['runs', frontdeskLog, '--request', 'req-other']).runs).toEqual([]);
    const text = runCli(['runs', frontdeskLog]).stdout;
    expect(text).toMatch(/request\s/);
    expect(text).toContain(REQUEST);
  });
});
