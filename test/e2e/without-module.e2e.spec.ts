import { Controller, Get, Injectable, Sse, type INestApplication, type MessageEvent } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { LoggerModule } from 'nestjs-pino';
import { of, type Observable } from 'rxjs';
import request from 'supertest';
import { AgentLlm, AgentRun, AgentTool, currentAgentRun } from 'nestjs-agent-logging';
import { LogCapture } from '../support/log-capture';

@Injectable()
class Tools {
  @AgentTool('lookup')
  lookup(id: string) {
    return { id, seenRun: currentAgentRun()?.runId ?? null };
  }
  @AgentLlm('model')
  async complete() {
    return 'reply';
  }
}

@Controller()
class PlainController {
  constructor(private readonly tools: Tools) {}
  @Get('answer')
  @AgentRun('answer')
  async answer() {
    return { reply: await this.tools.complete(), ...this.tools.lookup('a') };
  }
  @Sse('stream')
  @AgentRun('stream')
  stream(): Observable<MessageEvent> {
    return of({ data: 'one' });
  }
}

describe('decorated code in an app that never imported AgentLoggingModule', () => {
  const capture = new LogCapture();
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [LoggerModule.forRoot({ pinoHttp: [{ level: 'info' }, capture] })],
      controllers: [PlainController],
      providers: [Tools],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.listen(0, '127.0.0.1');
  });
  afterAll(() => app.close());

  it('calls straight through: same answers over HTTP, no run, no events', async () => {
    const res = await request(app.getHttpServer()).get('/answer').expect(200);
    expect(res.body).toEqual({ reply: 'reply', id: 'a', seenRun: null });
    const sse = await request(app.getHttpServer()).get('/stream').buffer(true).parse((r, cb) => {
      let body = '';
      r.on('data', (c: Buffer) => (body += c.toString()));
      r.on('end', () => cb(null, body));
    });
    expect(sse.body).toContain('data: one');
    expect(capture.lines.some((l) => l.msg === 'request completed')).toBe(true); // the logger itself works
    expect(capture.events).toEqual([]);
  });
});
