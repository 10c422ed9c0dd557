import { Controller, Inject, Injectable, Module, Post, UseInterceptors, type INestApplication, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import request from 'supertest';
import { LoggerModule } from 'nestjs-pino';
import {
  AgentContextInterceptor,
  AgentLoggingConfigError,
  AgentLoggingModule,
  AgentRun,
  AgentTool,
  MaxStepsExceededError,
  type AgentLoggingModuleOptions,
} from 'nestjs-agent-logging';
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

  @AgentRun('tiny_twice')
  twice(n: number) {
    return this.double(this.double(n));
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

/** The same handler with the interceptor on the controller, for apps that turn the global one off. */
@Controller('local')
@UseInterceptors(AgentContextInterceptor)
class InterceptedController extends TinyController {}

/** Plays the part of @nestjs/config: settings provided by another module, injected into the factory. */
class AgentSettings {
  header = 'x-correlation-id';
  maxSteps = 1;
}
@Module({ providers: [AgentSettings], exports: [AgentSettings] })
class SettingsModule {}

async function boot(agentLogging: unknown, extra: { async?: boolean; controllers?: Type[] } = {}) {
  const dynamic = extra.async
    ? AgentLoggingModule.forRootAsync(agentLogging as Parameters<typeof AgentLoggingModule.forRootAsync>[0])
    : AgentLoggingModule.forRoot(agentLogging as Parameters<typeof AgentLoggingModule.forRoot>[0]);
  @Module({ imports: [dynamic], controllers: extra.controllers ?? [TinyController], providers: [TinyAgent] })
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
    [{ timeoutMs: '100' }, /option "timeoutMs" must be a positive integer up to 2147483647 \(setTimeout's limit\), got "100"/],
    [{ timeoutMs: 2 ** 31 }, /option "timeoutMs" must be a positive integer up to 2147483647/],
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

  it('never writes a secret it refuses into the error: a short hashSecret is still a secret', async () => {
    for (const secret of ['sk_live_abcdef1', Buffer.from('sk_live_abcdef1')]) {
      const error = (await boot({ hashSecret: secret }).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(AgentLoggingConfigError);
      expect(error.message).toMatch(/option "hashSecret" must be a string or Buffer of at least 16 bytes, got a (string|Buffer) of 15 bytes/);
      expect(error.message).not.toContain('sk_live');
    }
  });

  it('names globalInterceptor returned by a factory, where it cannot take effect', async () => {
    await expect(boot({ useFactory: () => ({ globalInterceptor: false }) }, { async: true })).rejects.toThrow(
      /"globalInterceptor" shapes the module, so it cannot come from a factory/,
    );
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

describe('forRoot() and forRootAsync, the ways a NestJS app configures a module', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('boots with forRoot() and no argument: every default, events through nestjs-pino, the global interceptor on', async () => {
    const capture = new LogCapture();
    @Module({
      // Listed before LoggerModule: nestjs-pino's root logger is made after ours, and events still find it.
      imports: [AgentLoggingModule.forRoot(), LoggerModule.forRoot({ pinoHttp: [{ level: 'info', autoLogging: false }, capture] })],
      controllers: [TinyController],
      providers: [TinyAgent],
    })
    class DefaultsModule {}
    const moduleRef = await Test.createTestingModule({ imports: [DefaultsModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    await request(app.getHttpServer()).post('/run').set('x-request-id', 'defaults-1').expect(201);
    expect(capture.events.map((e) => e.event)).toEqual(['run_started', 'agent_step', 'tool_call', 'tool_result', 'run_finished']);
    expect(capture.events[0]).toMatchObject({ request_id: 'defaults-1', agent: 'tiny' });
    expect(capture.events.at(-1)).toMatchObject({ status: 'ok', stop_reason: 'completed' });
  });

  it('takes its options from another module\'s provider through imports and inject', async () => {
    const capture = new LogCapture();
    app = await boot(
      {
        imports: [SettingsModule],
        inject: [AgentSettings],
        useFactory: (settings: AgentSettings): AgentLoggingModuleOptions => ({
          logger: pino(capture), requestIdHeader: settings.header, maxSteps: settings.maxSteps,
        }),
      },
      { async: true },
    );
    await request(app.getHttpServer()).post('/run').set('x-correlation-id', 'corr-9').expect(201);
    expect(capture.events[0]).toMatchObject({ event: 'run_started', request_id: 'corr-9' });
    capture.clear();
    expect(() => app!.get(TinyAgent).twice(1)).toThrow(MaxStepsExceededError);
    expect(capture.events.at(-1)).toMatchObject({ event: 'run_finished', stop_reason: 'max_steps', total_steps: 1 });
  });

  it('takes its options from a factory class (useClass) that injects from imported modules', async () => {
    const capture = new LogCapture();
    @Injectable()
    class AgentLoggingConfig {
      constructor(@Inject(AgentSettings) private readonly settings: AgentSettings) {}
      create(): AgentLoggingModuleOptions {
        return { logger: pino(capture), requestIdHeader: this.settings.header };
      }
    }
    app = await boot({ imports: [SettingsModule], useClass: AgentLoggingConfig }, { async: true });
    await request(app.getHttpServer()).post('/run').set('x-correlation-id', 'corr-10').expect(201);
    expect(capture.events[0]).toMatchObject({ event: 'run_started', request_id: 'corr-10' });
  });

  it('turns the global interceptor off with forRootAsync too, while @UseInterceptors still works with the factory\'s options', async () => {
    const capture = new LogCapture();
    app = await boot(
      {
        globalInterceptor: false,
        imports: [SettingsModule],
        inject: [AgentSettings],
        useFactory: (settings: AgentSettings) => ({ logger: pino(capture), requestIdHeader: settings.header }),
      },
      { async: true, controllers: [TinyController, InterceptedController] },
    );
    await request(app.getHttpServer()).post('/run').set('x-correlation-id', 'global-off').expect(201);
    await request(app.getHttpServer()).post('/local/run').set('x-correlation-id', 'local-on').expect(201);
    const started = capture.events.filter((e) => e.event === 'run_started');
    expect(started).toHaveLength(2);
    expect(started[0]).not.toHaveProperty('request_id');
    expect(started[1]).toMatchObject({ request_id: 'local-on' });
  });

  it('keeps the global interceptor when globalInterceptor is given as undefined (the default)', async () => {
    const capture = new LogCapture();
    app = await boot({ logger: pino(capture), globalInterceptor: undefined });
    await request(app.getHttpServer()).post('/run').set('x-request-id', 'undefined-means-default').expect(201);
    expect(capture.events[0]).toMatchObject({ request_id: 'undefined-means-default' });
  });

  it.each([
    ['forRoot', () => AgentLoggingModule.forRoot({ globalInterceptor: 'no' } as never), /option "globalInterceptor" must be true or false, got "no"/],
    ['forRootAsync', () => AgentLoggingModule.forRootAsync({ globalInterceptor: 0, useFactory: () => ({}) } as never), /"globalInterceptor" must be true or false, got 0/],
    ['forRootAsync', () => AgentLoggingModule.forRootAsync({ maxSteps: 5, useFactory: () => ({}) } as never), /forRootAsync: unexpected option "maxSteps"; return it from useFactory/],
    ['forRootAsync', () => AgentLoggingModule.forRootAsync({ useFactroy: () => ({}) } as never), /forRootAsync: unexpected option "useFactroy"/],
  ])('refuses a bad module-shaping option to %s when the module is defined', (_method, define, message) => {
    expect(define).toThrow(AgentLoggingConfigError);
    expect(define).toThrow(message);
  });
});

/** One wrong value for every option the module knows; the test below keeps this list complete. */
const BAD_VALUES: Record<keyof AgentLoggingModuleOptions, unknown> = {
  maxSteps: 0,
  timeoutMs: -5,
  logger: { info: () => undefined },
  requestIdHeader: 42,
  runIdHeader: 'x agent run id',
  userId: 42,
  hashSecret: Buffer.alloc(8),
  hashMaxBytes: 1.5,
  hashResults: 'yes',
  errorMessages: 'verbose',
  errorMessageMaxLength: 0,
  scrubPatterns: /secret/,
  pseudonymizeUserId: 'true',
  capture: true,
  tokenUsage: 'openai',
  integrations: [{ onEvent: () => undefined }],
  loopGuard: { consecutive: 1 },
  maxTokens: 0.5,
  maxCostUsd: -1,
  prices: { 'gpt-4o': { input: 'cheap' } },
};

describe('every option is checked at boot', () => {
  it('has a bad value to try for every option the module knows', async () => {
    const error = await boot({ notAnOption: 1 }).catch((e: Error) => e);
    const known = /\(known: ([^)]*)\)/.exec(String((error as Error).message))![1].split(', ');
    expect([...known].sort()).toEqual(Object.keys(BAD_VALUES).sort());
  });

  it.each(Object.entries(BAD_VALUES))('fails the boot on a bad %s, naming it', async (option, value) => {
    const attempt = boot({ [option]: value });
    await expect(attempt).rejects.toThrow(AgentLoggingConfigError);
    await expect(boot({ [option]: value })).rejects.toThrow(new RegExp(`option "${option}" must be`));
  });

  it.each([
    ['a string', 'maxSteps=5', /options must be an object, got "maxSteps=5"/],
    ['a number from forRootAsync', 42, /options must be an object, got 42/],
  ])('fails the boot when the options are %s', async (_what, value, message) => {
    const attempt = typeof value === 'number' ? boot({ useFactory: () => value }, { async: true }) : boot(value);
    await expect(attempt).rejects.toThrow(message);
  });
});
