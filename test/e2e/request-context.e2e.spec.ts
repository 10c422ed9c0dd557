import { Body, Controller, Injectable, Post, type CanActivate, type ExecutionContext, type INestApplication, UseGuards } from '@nestjs/common';
import request from 'supertest';
import { AgentRun, AgentTool, withAgentTraceContext } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

/** Plays the part of an auth guard: puts a user on the request, as passport does. */
@Injectable()
class FakeAuthGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest();
    const user = req.headers['x-test-user'];
    if (user !== undefined) req.user = { id: user === 'number' ? 42 : user, email: 'jane@example.com' };
    return true;
  }
}

@Injectable()
class EchoAgent {
  @AgentTool('noop')
  noop(args: { n: number }) {
    return args.n;
  }

  @AgentRun('echo')
  async run(text: string) {
    this.noop({ n: text.length });
    return text;
  }
}

@Controller()
@UseGuards(FakeAuthGuard)
class EchoController {
  constructor(private readonly agent: EchoAgent) {}
  @Post('echo')
  echo() {
    return this.agent.run('hello');
  }

  /** Work that came with a trace of its own (a job's payload), done inside this request. */
  @Post('echo/job')
  job(@Body() body: { trace: Record<string, string> }) {
    return withAgentTraceContext(body.trace, () => this.agent.run('job'));
  }
}

async function runStarted(app: INestApplication, headers: Record<string, string>) {
  capture.clear();
  await request(app.getHttpServer()).post('/echo').set(headers).expect(201);
  await settleLogs();
  const started = capture.events.filter((e) => e.event === 'run_started');
  expect(started).toHaveLength(1);
  return { started: started[0], all: capture.eventsOf(started[0].run_id as string) };
}

describe('request context from the interceptor', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({ metadata: { controllers: [EchoController], providers: [EchoAgent, FakeAuthGuard] } });
  });
  afterAll(() => app.close());

  it('takes request_id from x-request-id and user_id from req.user.id', async () => {
    const { started } = await runStarted(app, { 'x-request-id': 'req-123', 'x-test-user': 'user-7' });
    expect(started).toMatchObject({ request_id: 'req-123', user_id: 'user-7' });
  });

  it('falls back to pino-http\'s req.id, and stringifies a numeric user id', async () => {
    const { started } = await runStarted(app, { 'x-test-user': 'number' });
    expect(started.user_id).toBe('42');
    const completed = capture.lines.find((l) => l.msg === 'request completed') as unknown as { req: { id: unknown } };
    expect(started.request_id).toBe(String(completed.req.id));
  });

  it('joins the trace of a valid inbound traceparent, under the caller\'s span', async () => {
    const { started, all } = await runStarted(app, { traceparent: `00-${TRACE}-${PARENT}-01` });
    expect(started).toMatchObject({ trace_id: TRACE, parent_span_id: PARENT, trace_flags: '01' });
    for (const e of all) expect(e.trace_id).toBe(TRACE);
  });

  it('takes the trace of an explicit carrier whole: never the calling run of the request it is handled in', async () => {
    const httpCaller = '01a233ff-2b65-7bd4-a337-9f481eadf730';
    const jobTrace = 'c'.repeat(32);
    const jobSpan = 'd'.repeat(16);
    capture.clear();
    await request(app.getHttpServer())
      .post('/echo/job')
      .set({ 'x-request-id': 'req-job', traceparent: `00-${TRACE}-${PARENT}-01`, baggage: `agent_log.run_id=${httpCaller}` })
      .send({ trace: { traceparent: `00-${jobTrace}-${jobSpan}-00` } })
      .expect(201);
    await settleLogs();
    const started = capture.events.find((e) => e.event === 'run_started')!;
    // The carrier named no calling run: there is none, rather than the HTTP caller's beside the job's trace.
    expect(started).toMatchObject({ request_id: 'req-job', trace_id: jobTrace, parent_span_id: jobSpan, trace_flags: '00' });
    expect(started).not.toHaveProperty('parent_run_id');
  });

  it.each([
    ['malformed', 'not-a-traceparent'],
    ['all zeros', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['oversized', `cc-${TRACE}-${PARENT}-01-${'x'.repeat(4000)}`],
  ])('starts a fresh trace for a %s traceparent, never an error', async (_n, header) => {
    const { started } = await runStarted(app, { traceparent: header });
    expect(started.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(started.trace_id).not.toBe(TRACE);
    expect(started.parent_span_id).toBeUndefined();
  });

  it('ignores an oversized or control-character request id and user id', async () => {
    const long = await runStarted(app, { 'x-request-id': 'r'.repeat(500), 'x-test-user': 'u'.repeat(500) });
    expect(long.started.user_id).toBeUndefined();
    expect(long.started.request_id).not.toBe('r'.repeat(500));
    const forged = await runStarted(app, { 'x-request-id': 'a\tb', 'x-test-user': 'x y' });
    expect(forged.started.request_id).not.toBe('a\tb');
    expect(forged.started.user_id).toBeUndefined();
  });

  it('never copies request headers, cookies or the user object into events', async () => {
    const { all } = await runStarted(app, { authorization: 'Bearer sk-secret-token', cookie: 'sid=s3cr3t', 'x-test-user': 'user-7' });
    const text = JSON.stringify(all);
    expect(text).not.toContain('sk-secret-token');
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('jane@example.com');
    expect(text).not.toContain('"req"');
  });
});

describe('pseudonymised user ids', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({
      agentLogging: { hashSecret: 'a-test-secret-of-32-characters!!', pseudonymizeUserId: true },
      metadata: { controllers: [EchoController], providers: [EchoAgent, FakeAuthGuard] },
    });
  });
  afterAll(() => app.close());

  it('writes a stable keyed hash instead of the user id', async () => {
    const a = await runStarted(app, { 'x-test-user': 'user-7' });
    const b = await runStarted(app, { 'x-test-user': 'user-7' });
    const c = await runStarted(app, { 'x-test-user': 'user-8' });
    expect(a.started.user_id).toMatch(/^[0-9a-f]{32}$/);
    expect(a.started.user_id).toBe(b.started.user_id);
    expect(c.started.user_id).not.toBe(a.started.user_id);
    expect(JSON.stringify([...a.all, ...b.all])).not.toContain('user-7');
  });
});

describe('a custom userId extractor', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({
      agentLogging: {
        userId: (req) => {
          const user = (req as { user?: { id: string } }).user;
          if (user?.id === 'throw') throw new Error('the extractor failed');
          return user && `tenant-a:${user.id}`;
        },
      },
      metadata: { controllers: [EchoController], providers: [EchoAgent, FakeAuthGuard] },
    });
  });
  afterAll(() => app.close());

  it('is given the HTTP request and writes what it returns', async () => {
    const { started } = await runStarted(app, { 'x-request-id': 'custom-1', 'x-test-user': 'user-7' });
    expect(started).toMatchObject({ request_id: 'custom-1', user_id: 'tenant-a:user-7' });
  });

  it('leaves user_id out when it throws, and the request and its run go on', async () => {
    const { started, all } = await runStarted(app, { 'x-request-id': 'custom-2', 'x-test-user': 'throw' });
    expect(started).toMatchObject({ request_id: 'custom-2' });
    expect(started).not.toHaveProperty('user_id');
    expect(all.at(-1)).toMatchObject({ event: 'run_finished', status: 'ok' });
  });
});
