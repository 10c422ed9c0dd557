import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import request from 'supertest';
import { AgentLoggingModule, AgentRun, AgentTool, currentAgentRun, withAgentRun } from 'nestjs-agent-logging';
import { LogCapture } from '../support/log-capture';
import { runsIn, tick } from '../support/engine-harness';

// Two real Nest apps in one process, each with its own log. A run belongs to the app whose provider runs it,
// not to the app started last; one app's shutdown ends only its own runs and aborts only their signals.

@Injectable()
class Model {
  @AgentTool('wait_for_model')
  wait(): Promise<string> {
    const run = currentAgentRun()!;
    return new Promise((resolve, reject) => {
      run.signal.addEventListener('abort', () => reject(run.signal.reason), { once: true });
      this.release = () => resolve('answer');
    });
  }
  release?: () => void;
}

@Injectable()
class Agent {
  constructor(readonly model: Model) {}
  aborted = false;

  @AgentRun('support')
  async answer(): Promise<string> {
    const signal = currentAgentRun()!.signal;
    signal.addEventListener('abort', () => (this.aborted = true));
    return this.model.wait();
  }
}

/** Code no app owns: a plain function wrapped as a run, called while serving a request. */
const plainRun = withAgentRun('plain', async () => currentAgentRun()!.agent);

@Controller()
class AskController {
  constructor(private readonly agent: Agent) {}

  @Get('plain')
  plain() {
    return plainRun();
  }

  @Get('own')
  @AgentRun('controller_run')
  own() {
    return 'ok';
  }
}

async function start(capture: LogCapture): Promise<INestApplication> {
  @Module({ imports: [AgentLoggingModule.forRoot({ logger: pino(capture) })], controllers: [AskController], providers: [Model, Agent] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

const finishes = (capture: LogCapture) => capture.events.filter((e) => e.event === 'run_finished');

describe('two applications in one process', () => {
  let a: INestApplication | undefined;
  let b: INestApplication | undefined;
  afterEach(async () => {
    await b?.close();
    await a?.close();
    a = b = undefined;
  });

  it("logs each app's runs in its own log, whichever app was started last", async () => {
    const [logA, logB] = [new LogCapture(), new LogCapture()];
    a = await start(logA);
    b = await start(logB);
    // A's provider, A's controller and a plain function called in A's request: all A's, though B started later.
    const runA = a.get(Agent).answer();
    await tick(5);
    a.get(Model).release!();
    expect(await runA).toBe('answer');
    await request(a.getHttpServer()).get('/own').expect(200);
    await request(a.getHttpServer()).get('/plain').expect(200, 'plain');
    await request(b.getHttpServer()).get('/own').expect(200);
    await tick(5);
    expect(finishes(logA).map((e) => [e.agent, e.stop_reason])).toEqual([
      ['support', 'completed'],
      ['controller_run', 'completed'],
      ['plain', 'completed'],
    ]);
    expect(finishes(logB).map((e) => [e.agent, e.stop_reason])).toEqual([['controller_run', 'completed']]);
    // Each run's steps are in its own run's log, complete.
    for (const [, events] of runsIn(logA.events)) expect(events.at(-1)!.event).toBe('run_finished');
  });

  it("closing one app ends only its own runs in flight and aborts only their signals", async () => {
    const [logA, logB] = [new LogCapture(), new LogCapture()];
    a = await start(logA);
    b = await start(logB);
    const agentA = a.get(Agent);
    const agentB = b.get(Agent);
    const runA = agentA.answer();
    const runB = agentB.answer().catch((err: unknown) => (err as Error).name);
    await tick(5);

    await b.close();
    b = undefined;
    expect(await runB).toBe('AbortError');
    expect(agentB.aborted).toBe(true);
    expect(finishes(logB).map((e) => [e.agent, e.stop_reason])).toEqual([['support', 'shutdown']]);

    // A's run is untouched by B's shutdown: still in flight, its signal not aborted, and it ends as it would.
    expect(agentA.aborted).toBe(false);
    expect(finishes(logA)).toEqual([]);
    a.get(Model).release!();
    expect(await runA).toBe('answer');
    await tick(5);
    expect(finishes(logA).map((e) => [e.agent, e.stop_reason])).toEqual([['support', 'completed']]);
    // B is closed: its provider's runs are logged nowhere (not in A's log), and still run, unwrapped.
    logA.clear();
    logB.clear();
    const late = agentB.answer();
    agentB.model.release!();
    await expect(late).rejects.toThrow(TypeError); // no run, so currentAgentRun() is undefined in its body
    expect([logA.events, logB.events]).toEqual([[], []]);
  });
});
