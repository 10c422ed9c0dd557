import { Global, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Logger, LoggerModule } from 'nestjs-pino';
import { AgentLoggingModule, AgentRun } from 'nestjs-agent-logging';
import { LogCapture } from '../support/log-capture';

@Injectable()
class Agent {
  @AgentRun('found')
  answer() {
    return 'ok';
  }
}

async function context(imports: unknown[]) {
  const moduleRef = await Test.createTestingModule({ imports: imports as never[], providers: [Agent] }).compile();
  const app = moduleRef.createNestApplication({ bufferLogs: true });
  await app.init();
  return app;
}

describe("finding the app's logger", () => {
  it('finds nestjs-pino’s logger with `useExisting` too (no PinoLogger.root there), outside any request', async () => {
    const capture = new LogCapture();
    const app = await context([LoggerModule.forRoot({ pinoHttp: [{ base: { app: 'existing' } }, capture], useExisting: true }), AgentLoggingModule.forRoot()]);
    app.useLogger(app.get(Logger));
    const warnings = jest.spyOn(process, 'emitWarning');
    try {
      app.get(Agent).answer();
      await app.close();
    } finally {
      warnings.mockRestore();
    }
    expect(capture.events.map((e) => [e.event, e.app])).toEqual([
      ['run_started', 'existing'],
      ['run_finished', 'existing'],
    ]);
    expect(warnings.mock.calls.filter(([message]) => String(message).includes('nestjs-agent-logging'))).toEqual([]);
  });

  it('says so once at boot, naming the cause and the fix, when LoggerModule is there but its logger is not', async () => {
    // What an unknown nestjs-pino release would look like to us: its parameters provider, no PinoLogger beside it.
    @Global()
    @Module({ providers: [{ provide: 'pino-params', useValue: {} }], exports: ['pino-params'] })
    class UnknownLoggerModule {}
    const warnings = jest.spyOn(process, 'emitWarning');
    let calls: unknown[][];
    try {
      const app = await context([UnknownLoggerModule, AgentLoggingModule.forRoot()]);
      app.get(Agent).answer();
      app.get(Agent).answer();
      await app.close();
    } finally {
      calls = [...warnings.mock.calls];
      warnings.mockRestore();
    }
    const ours = calls.filter(([, options]) => (options as { code?: string } | undefined)?.code === 'AGENT_LOGGING_NO_APP_LOGGER');
    expect(ours).toHaveLength(1);
    expect(String(ours[0][0])).toMatch(/LoggerModule \(nestjs-pino\) is imported but its logger could not be found/);
    expect(String(ours[0][0])).toMatch(/AgentLoggingModule\.forRoot\(\{ logger \}\)/);
  });
});
