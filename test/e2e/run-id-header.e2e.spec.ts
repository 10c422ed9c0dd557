import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Controller, Get, HttpException, Injectable, Post, Sse, type INestApplication, type MessageEvent } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { interval, map, take, type Observable } from 'rxjs';
import request from 'supertest';
import { AgentLoggingConfigError, AgentRun, AgentTool } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';

class PaymentGatewayTimeoutError extends Error {
  override name = 'PaymentGatewayTimeoutError';
}

@Injectable()
class Refunds {
  @AgentTool('create_refund')
  async createRefund(_args: { orderId: string }) {
    throw new PaymentGatewayTimeoutError('gateway timed out');
  }

  @AgentRun('classify')
  async classify(question: string) {
    return question.length > 3 ? 'refund' : 'other';
  }

  @AgentRun('refund')
  async refund(orderId: string) {
    return this.createRefund({ orderId });
  }

  @AgentRun('triage')
  async triage(question: string) {
    return this.classify(question); // nested: not listed in the header, found through its parent
  }

  @AgentRun('ticker')
  ticks(n: number): Observable<MessageEvent> {
    return interval(2).pipe(take(n), map((i) => ({ data: { i } })));
  }
}

@Controller()
class RefundsController {
  constructor(private readonly refunds: Refunds) {}

  @Post('ok')
  ok() {
    return this.refunds.classify('where is my refund?');
  }

  /** What an app does: its own error, the run's error as the cause, nothing of it in the body. */
  @Post('fail')
  async fail() {
    try {
      return await this.refunds.refund('A-1002');
    } catch (err) {
      throw new HttpException({ message: 'the agent failed' }, 502, { cause: err });
    }
  }

  /** An app that lets the run's error escape: not an HttpException, so a 500 whose body says nothing of it. */
  @Post('crash')
  crash() {
    return this.refunds.refund('A-1002');
  }

  @Post('two')
  async two() {
    await this.refunds.classify('first');
    return this.refunds.triage('second');
  }

  @Post('many')
  async many() {
    for (let i = 0; i < 12; i++) await this.refunds.classify(`q${i}`);
    return 'done';
  }

  @Get('none')
  none() {
    return 'no agent here';
  }

  @Sse('stream')
  @AgentRun('streamer')
  stream(): Observable<MessageEvent> {
    return interval(2).pipe(take(3), map((i) => ({ data: { i } })));
  }

  @Sse('stream-of-run')
  streamOfRun(): Observable<MessageEvent> {
    return this.refunds.ticks(2);
  }
}

// How an app puts the run id into its error body: the sample app's filter, the one docs/inspector.md shows
// (an ES module of the sample app, loaded here on the repository's NestJS 11 as CommonJS, as sample-app.e2e does).
const FILTER_FILE = join(__dirname, '..', '..', 'sample-app', 'src', 'errors', 'run-id-in-error-body.filter.ts');
const { RunIdInErrorBody } = require('../../sample-app/src/errors/run-id-in-error-body.filter.js') as typeof import('../../sample-app/src/errors/run-id-in-error-body.filter.js', { with: { 'resolution-mode': 'import' } });

const metadata = { controllers: [RefundsController], providers: [Refunds, { provide: APP_FILTER, useClass: RunIdInErrorBody }] };

const runsStarted = (agent: string) => capture.events.filter((e) => e.event === 'run_started' && e.agent === agent);

/** An SSE response read over a real socket: its head as it came, and the events. */
function readSse(app: INestApplication, path: string): Promise<{ headers: http.IncomingHttpHeaders; events: number }> {
  const { port } = (app.getHttpServer() as http.Server).address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ headers: res.headers, events: body.split('\n').filter((l) => l.startsWith('data: ')).length }));
    });
    req.on('error', reject);
  });
}

describe.each(['express', 'fastify'] as const)('x-agent-run-id over real HTTP (%s)', (platform) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({ metadata, platform });
  });
  afterAll(() => app.close());
  beforeEach(() => capture.clear());

  it('carries the id of the run the handler started, the one its events were written with', async () => {
    const res = await request(app.getHttpServer()).post('/ok').expect(201);
    await settleLogs();
    const [started] = runsStarted('classify');
    expect(res.headers['x-agent-run-id']).toBe(started.run_id);
  });

  it('is on the failure response too, and an exception filter puts it into the error body', async () => {
    const res = await request(app.getHttpServer()).post('/fail').expect(502);
    await settleLogs();
    const [started] = runsStarted('refund');
    const finished = capture.eventsOf(started.run_id as string).find((e) => e.event === 'run_finished');
    expect(finished).toMatchObject({ status: 'error', stop_reason: 'tool_error' });
    expect(res.headers['x-agent-run-id']).toBe(started.run_id);
    expect(res.body).toEqual({ message: 'the agent failed', run_id: started.run_id });
  });

  it('is in the body of an error no handler answered too: a 500 saying nothing of the error, which is logged', async () => {
    const res = await request(app.getHttpServer()).post('/crash').expect(500);
    await settleLogs();
    const [started] = runsStarted('refund');
    expect(res.body).toEqual({ statusCode: 500, message: 'Internal Server Error', run_id: started.run_id });
    const logged = capture.lines.find((l) => l.context === 'ExceptionsHandler');
    expect(logged).toMatchObject({ level: 50, err: { type: 'PaymentGatewayTimeoutError', message: 'gateway timed out' } });
  });

  it('leaves the errors of requests that ran no agent as Nest answers them', async () => {
    const res = await request(app.getHttpServer()).get('/nowhere').expect(404);
    expect(res.body).toEqual({ statusCode: 404, message: 'Cannot GET /nowhere', error: 'Not Found' });
  });

  it('lists several runs of one request in start order, without their nested runs', async () => {
    const res = await request(app.getHttpServer()).post('/two').expect(201);
    await settleLogs();
    const first = runsStarted('classify')[0];
    const triage = runsStarted('triage')[0];
    const nested = runsStarted('classify')[1];
    expect(nested.parent_run_id).toBe(triage.run_id);
    expect(res.headers['x-agent-run-id']).toBe(`${first.run_id}, ${triage.run_id}`);
  });

  it('stops at 10 ids, however many runs the handler starts', async () => {
    const res = await request(app.getHttpServer()).post('/many').expect(201);
    await settleLogs();
    const ids = runsStarted('classify').map((e) => e.run_id);
    expect(ids).toHaveLength(12);
    expect(res.headers['x-agent-run-id']).toBe(ids.slice(0, 10).join(', '));
  });

  it('is absent where no agent ran, and from an error no run caused', async () => {
    const res = await request(app.getHttpServer()).get('/none').expect(200);
    expect(res.headers['x-agent-run-id']).toBeUndefined();
    const missing = await request(app.getHttpServer()).get('/nowhere').expect(404);
    expect(missing.headers['x-agent-run-id']).toBeUndefined();
  });

  it('reaches an SSE stream: the run starts before the stream head goes out', async () => {
    const direct = await readSse(app, '/stream');
    const inner = await readSse(app, '/stream-of-run');
    await settleLogs();
    expect(direct.headers['content-type']).toMatch(/text\/event-stream/);
    expect(direct.events).toBe(3);
    expect(direct.headers['x-agent-run-id']).toBe(runsStarted('streamer')[0].run_id);
    expect(inner.events).toBe(2);
    expect(inner.headers['x-agent-run-id']).toBe(runsStarted('ticker')[0].run_id);
  });
});

describe.each(['express', 'fastify'] as const)('the runIdHeader option (%s)', (platform) => {
  it('renames the header', async () => {
    const app = await bootApp({ metadata, platform, agentLogging: { runIdHeader: 'X-Run' } });
    try {
      capture.clear();
      const res = await request(app.getHttpServer()).post('/ok').expect(201);
      await settleLogs();
      expect(res.headers['x-run']).toBe(runsStarted('classify')[0].run_id);
      expect(res.headers['x-agent-run-id']).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('turns it off with false: nothing on the response, nothing in the error body', async () => {
    const app = await bootApp({ metadata, platform, agentLogging: { runIdHeader: false } });
    try {
      const ok = await request(app.getHttpServer()).post('/ok').expect(201);
      expect(ok.headers['x-agent-run-id']).toBeUndefined();
      const failed = await request(app.getHttpServer()).post('/fail').expect(502);
      expect(failed.headers['x-agent-run-id']).toBeUndefined();
      expect(failed.body).toEqual({ message: 'the agent failed' });
    } finally {
      await app.close();
    }
  });
});

describe('a bad runIdHeader', () => {
  it.each([['x agent run id'], [''], [true], [42]])('fails the boot naming the option: %p', async (value) => {
    const attempt = bootApp({ metadata, agentLogging: { runIdHeader: value as never } });
    await expect(attempt).rejects.toThrow(AgentLoggingConfigError);
    await expect(bootApp({ metadata, agentLogging: { runIdHeader: value as never } })).rejects.toThrow(
      /option "runIdHeader" must be an HTTP header name, or false/,
    );
  });
});

describe('the error-body filter in docs/inspector.md', () => {
  it('is the sample app\'s file, verbatim', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'inspector.md'), 'utf8');
    const block = /\n```ts\n(\/\/ sample-app\/src\/errors\/run-id-in-error-body\.filter\.ts\n[\s\S]*?)```\n/.exec(doc);
    expect(block?.[1]).toBe(`// sample-app/src/errors/run-id-in-error-body.filter.ts\n${readFileSync(FILTER_FILE, 'utf8')}`);
  });
});
