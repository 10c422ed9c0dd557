import { Controller, Injectable, Module, Post, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import request from 'supertest';
import { AgentLoggingConfigError, AgentLoggingModule, AgentRun, AgentTool } from 'nestjs-agent-logging';
import { LogCapture } from '../support/log-capture';

@Injectable()
class TinyAgent {
  @AgentTool('double')
  double(n: number) {
    return n * 2;
  }

  @AgentRun('tiny')
  run(n: number) {
    return this.double(n);
  }
}

@Controller()
class TinyController {
  constructor(private readonly agent: TinyAgent) {}
  @Post('run')
  run() {
    return { value: this.agent.run(21) };
  }
}

async function boot(agentLogging: unknown, extra: { async?: boolean } = {}) {
  const dynamic = extra.async
    ? AgentLoggingModule.forRootAsync(agentLogging as Parameters<typeof AgentLoggingModule.forRootAsync>[0])
    : AgentLoggingModule.forRoot(agentLogging as Parameters<typeof AgentLoggingModule.forRoot>[0]);
  @Module({ imports: [dynamic], controllers: [TinyController], providers: [TinyAgent] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

describe('module configuration', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('writes through the `logger` option when given, and a sync run stays sync', async () => {
    const capture = new LogCapture();
    app = await boot({ logger: pino(capture) });
    const res = await request(app.getHttpServer()).post('/run').set('x-request-id', 'cfg-1').expect(201);
    expect(res.body).toEqual({ value: 42 });
    expect(capture.events.map((e) => e.event)).toEqual(['run_started', 'agent_step', 'tool_call', 'tool_result', 'run_finished']);
    expect(capture.events[0].request_id).toBe('cfg-1');
  });

  it('configures through forRootAsync with an injected factory', async () => {
    const capture = new LogCapture();
    app = await boot({ useFactory: async () => ({ logger: pino(capture), maxSteps: 5 }) }, { async: true });
    await request(app.getHttpServer()).post('/run').expect(201);
    expect(capture.events.at(-1)).toMatchObject({ event: 'run_finished', stop_reason: 'completed', total_steps: 1 });
  });

  it('leaves request context out when the global interceptor is turned off', async () => {
    const capture = new LogCapture();
    app = await boot({ logger: pino(capture), globalInterceptor: false });
    await request(app.getHttpServer()).post('/run').set('x-request-id', 'cfg-2').expect(201);
    expect(capture.events[0].event).toBe('run_started');
    expect(capture.events[0].request_id).toBeUndefined();
  });

  it.each([
    [{ maxSteps: -1 }, /option "maxSteps" must be a positive integer, got -1/],
    [{ maxSteps: 1.5 }, /"maxSteps"/],
    [{ timeoutMs: '100' }, /option "timeoutMs" must be a positive integer, got "100"/],
    [{ errorMessages: 'loud' }, /option "errorMessages" must be one of "scrubbed", "raw", "omit"/],
    [{ hashSecret: 'short' }, /option "hashSecret" must be a string or Buffer of at least 16 bytes/],
    [{ logger: console }, /option "logger" must be a pino logger/],
    [{ userId: 'user.id' }, /option "userId" must be a function/],
    [{ maxStep: 3 }, /unknown option "maxStep"/],
    [{ scrubPatterns: ['secret'] }, /option "scrubPatterns"/],
    [{ pseudonymizeUserId: true }, /"pseudonymizeUserId" needs "hashSecret"/],
    [{ capture: { args: 'yes' } }, /option "capture" must be an object whose "args" is true or false/],
    [{ capture: { prompt: true } }, /"prompt" is known keys only/],
    [{ capture: { redact: 'password' } }, /"redact" is an array of strings/],
    [{ capture: { redact: ['a..b['] } }, /option "capture" must be valid/],
  ])('fails the boot on %p, naming the option', async (options, message) => {
    const attempt = boot(options);
    await expect(attempt).rejects.toThrow(AgentLoggingConfigError);
    await expect(boot(options)).rejects.toThrow(message);
  });

  it('fails the boot on a bad option from forRootAsync too', async () => {
    await expect(boot({ useFactory: () => ({ maxSteps: 0 }) }, { async: true })).rejects.toThrow(/"maxSteps" must be a positive integer, got 0/);
  });

  it('lets decorated methods call straight through once the app is closed', async () => {
    const capture = new LogCapture();
    app = await boot({ logger: pino(capture) });
    const agent = app.get(TinyAgent);
    await app.close();
    app = undefined;
    capture.clear();
    expect(agent.run(4)).toBe(8);
    expect(capture.events).toEqual([]);
  });
});
