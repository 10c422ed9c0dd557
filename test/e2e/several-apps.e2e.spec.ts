import { Controller, Injectable, Module, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import request from 'supertest';
import { AgentLoggingModule, AgentRun, AgentTool } from 'nestjs-agent-logging';
import { LogCapture } from '../support/log-capture';

@Injectable()
class Lookup {
  @AgentTool('lookup')
  find(id: number) {
    return { id };
  }
}

@Controller()
class AskController {
  constructor(private readonly lookup: Lookup) {}

  @Post('ask')
  @AgentRun('several')
  ask() {
    return this.lookup.find(1);
  }
}

async function start(capture: LogCapture): Promise<INestApplication> {
  @Module({ imports: [AgentLoggingModule.forRoot({ logger: pino(capture) })], controllers: [AskController], providers: [Lookup] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

const finishedRuns = (capture: LogCapture) => capture.events.filter((e) => e.event === 'run_finished').length;

describe('several applications in one process', () => {
  it('hands logging back to the app started earlier when the later one closes, whichever closes first', async () => {
    const [a, b, c] = [new LogCapture(), new LogCapture(), new LogCapture()];
    const first = await start(a);
    const second = await start(b);
    const third = await start(c);

    // The last one started is in charge.
    await request(third.getHttpServer()).post('/ask').expect(201);
    expect([finishedRuns(a), finishedRuns(b), finishedRuns(c)]).toEqual([0, 0, 1]);

    // Closing one in the middle changes nothing for the one in charge.
    await second.close();
    await request(third.getHttpServer()).post('/ask').expect(201);
    expect([finishedRuns(a), finishedRuns(b), finishedRuns(c)]).toEqual([0, 0, 2]);

    // Closing the one in charge hands back to the earliest still open, not to the closed one.
    await third.close();
    await request(first.getHttpServer()).post('/ask').expect(201);
    expect([finishedRuns(a), finishedRuns(b), finishedRuns(c)]).toEqual([1, 0, 2]);
    expect(a.events.map((e) => e.event)).toEqual(['run_started', 'agent_step', 'tool_call', 'tool_result', 'run_finished']);

    // And once every app is closed, decorated code calls straight through.
    await first.close();
    expect(new AskController(new Lookup()).ask()).toEqual({ id: 1 });
    expect([finishedRuns(a), finishedRuns(b), finishedRuns(c)]).toEqual([1, 0, 2]);
  });
});
