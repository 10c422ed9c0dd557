import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Logger } from 'nestjs-pino';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../src/app.module.js';

// One log file for the whole file: nestjs-pino keeps one root logger per process.
const logFile = join(mkdtempSync(join(tmpdir(), 'stack-')), 'app.log');
type Line = Record<string, unknown>;
const lines = (): Line[] =>
  readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
const isEvent = (l: Line) => l.schema === 'agent-log/1';
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

async function boot(platform: string): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forLogFile(logFile)] }).compile();
  const app =
    platform === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(), { bufferLogs: true })
      : moduleRef.createNestApplication({ bufferLogs: true });
  app.useLogger(app.get(Logger));
  await app.listen(0, '127.0.0.1');
  return app;
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe.each(['express', 'fastify'])('an app on %s', (platform) => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    app = await boot(platform);
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }, 120_000);
  afterAll(() => app.close(), 60_000);

  it("writes every event to the app's own destination, with its base fields, in order with the app's own lines", async () => {
    const res = await fetch(`${url}/ask?q=${encodeURIComponent('Where is A-1001?')}`, {
      headers: { 'x-request-id': `req-${platform}`, 'x-user': 'user-7', traceparent: `00-${TRACE}-${PARENT}-01` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { runId: string; order: unknown };
    expect(body.order).toEqual({ orderId: 'A-1001', status: 'shipped' });
    await settle();
    const run = lines().filter((l) => l.run_id === body.runId);
    // The app's own line, written through Nest's Logger inside the run, carries run_id (the mixin) and sits
    // between the model step and the tool step, as it happened: one writer, one ordered stream.
    expect(run.map((l) => (isEvent(l) ? l.event : `app: ${String(l.msg)}`))).toEqual([
      'run_started',
      'agent_step',
      'llm_result',
      'app: calling tool lookup_order',
      'agent_step',
      'tool_call',
      'tool_result',
      'run_finished',
    ]);
    const events = run.filter(isEvent);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const e of events) {
      // The app's `base` replaces pino's pid and hostname: the event went through the app's logger.
      expect(e).toMatchObject({ service: 'stack-app', agent: 'support', trace_id: TRACE, level: 30 });
      expect(e).not.toHaveProperty('pid');
      expect(e).not.toHaveProperty('hostname');
    }
    expect(events[0]).toMatchObject({ event: 'run_started', request_id: `req-${platform}`, user_id: 'user-7', parent_span_id: PARENT, trace_flags: '01' });
    expect(events[2]).toMatchObject({ event: 'llm_result', model: 'scripted-model', status: 'ok', finish_reason: 'stop', token_usage: { input_tokens: 12, output_tokens: 5, total_tokens: 17 } });
    expect(events[5]).toMatchObject({ event: 'tool_result', tool: 'lookup_order', status: 'ok' });
    expect(events[6]).toMatchObject({ event: 'run_finished', status: 'ok', stop_reason: 'completed', total_steps: 2, tool_calls: 1, llm_calls: 1 });
  }, 60_000);

  it('ends a run whose tool failed with tool_error, at level error', async () => {
    const res = await fetch(`${url}/ask?q=nothing`, { headers: { 'x-request-id': `fail-${platform}` } });
    expect(res.status).toBe(500);
    await settle();
    const started = lines().find((l) => l.event === 'run_started' && l.request_id === `fail-${platform}`)!;
    const events = lines().filter((l) => isEvent(l) && l.run_id === started.run_id);
    expect(events.find((e) => e.event === 'tool_result')).toMatchObject({ status: 'error', error_class: 'Error', level: 50 });
    expect(events.at(-1)).toMatchObject({ event: 'run_finished', status: 'error', stop_reason: 'tool_error', first_error_step_index: 2, level: 50 });
  }, 60_000);

  it('ends a streamed (SSE) run cancelled when the client goes away mid-stream', async () => {
    const before = new Set(lines().map((l) => l.run_id));
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${url}/stream`, { headers: { 'x-request-id': `sse-${platform}` } }, (res) => {
        expect(res.headers['content-type']).toMatch(/text\/event-stream/);
        let received = '';
        res.on('data', (chunk: Buffer) => {
          received += chunk.toString();
          // The first chunk is read: the client goes away, as a closed browser tab does.
          if (received.includes('data: chunk 0')) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
      req.end();
    });
    let finished: Line | undefined;
    for (let i = 0; i < 100 && !finished; i++) {
      await settle();
      finished = lines().find((l) => l.event === 'run_finished' && l.agent === 'streamer' && !before.has(l.run_id));
    }
    expect(finished).toMatchObject({ status: 'cancelled', stop_reason: 'cancelled', service: 'stack-app' });
    const started = lines().find((l) => l.event === 'run_started' && l.run_id === finished!.run_id);
    expect(started).toMatchObject({ request_id: `sse-${platform}` });
  }, 180_000);
});
