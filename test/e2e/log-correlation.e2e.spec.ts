import { Controller, Injectable, Logger as NestLogger, Post, type INestApplication } from '@nestjs/common';
import { InjectPinoLogger, Logger as NestjsPinoLogger, PinoLogger } from 'nestjs-pino';
import request from 'supertest';
import { AgentRun, AgentTool, currentAgentRun } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';

/** Logs one line through each of nestjs-pino's faces, tagged with where it was written. */
@Injectable()
class Loggers {
  private readonly nest = new NestLogger('Loggers');

  constructor(
    private readonly nestjsPino: NestjsPinoLogger,
    private readonly pino: PinoLogger,
    @InjectPinoLogger('Injected') private readonly injected: PinoLogger,
  ) {}

  all(where: string) {
    this.nest.log(`${where}: common Logger`);
    this.nestjsPino.log(`${where}: nestjs-pino Logger`);
    this.pino.info(`${where}: PinoLogger`);
    this.injected.info(`${where}: @InjectPinoLogger`);
  }
}

@Injectable()
class Agent {
  constructor(private readonly loggers: Loggers) {}

  @AgentTool('noisy_tool')
  async tool() {
    this.loggers.all('tool');
    return 'ok';
  }

  @AgentRun('inner')
  async inner() {
    this.loggers.all('inner');
    return currentAgentRun()!.runId;
  }

  @AgentRun('correlated')
  async run() {
    this.loggers.all('run');
    await this.tool();
    const innerRunId = await this.inner();
    return { runId: currentAgentRun()!.runId, innerRunId };
  }
}

@Controller()
class CorrelationController {
  constructor(
    private readonly agent: Agent,
    private readonly loggers: Loggers,
  ) {}

  @Post('run')
  async run() {
    this.loggers.all('before');
    const ids = await this.agent.run();
    this.loggers.all('after');
    return ids;
  }
}

const FACES = ['common Logger', 'nestjs-pino Logger', 'PinoLogger', '@InjectPinoLogger'];

/** The app's own lines (not our events) whose message starts with `where`, one per logger face. */
function linesAt(where: string) {
  const lines = capture.lines.filter((l) => l.schema === undefined && typeof l.msg === 'string' && l.msg.startsWith(`${where}: `));
  expect(lines.map((l) => (l.msg as string).slice(where.length + 2))).toEqual(FACES);
  return lines;
}

describe('agentLogMixin: the app\'s own log lines carry the run they were written in', () => {
  let app: INestApplication;
  let ids: { runId: string; innerRunId: string };
  let traceId: string;
  beforeAll(async () => {
    app = await bootApp({ metadata: { controllers: [CorrelationController], providers: [Agent, Loggers] } });
    capture.clear();
    ids = (await request(app.getHttpServer()).post('/run').set('x-request-id', 'corr-1').expect(201)).body;
    await settleLogs();
    traceId = capture.eventsOf(ids.runId)[0].trace_id as string;
  });
  afterAll(() => app.close());

  it('adds run_id and trace_id to lines from every nestjs-pino logger inside the run and its steps', () => {
    for (const where of ['run', 'tool']) {
      for (const line of linesAt(where)) expect(line).toMatchObject({ run_id: ids.runId, trace_id: traceId });
    }
  });

  it('gives a line written inside a sub-agent that sub-agent\'s run_id, in the same trace', () => {
    expect(ids.innerRunId).not.toBe(ids.runId);
    for (const line of linesAt('inner')) expect(line).toMatchObject({ run_id: ids.innerRunId, trace_id: traceId });
  });

  it('adds nothing to lines written outside any run, in the same request before and after it', () => {
    for (const where of ['before', 'after']) {
      for (const line of linesAt(where)) {
        expect(line).not.toHaveProperty('run_id');
        expect(line).not.toHaveProperty('trace_id');
      }
    }
  });

  it('never writes run_id or trace_id twice in one raw line, events included', () => {
    const raw = capture.raw.split('\n').filter((l) => l.length > 0);
    const events = raw.filter((l) => l.includes('"schema":"agent-log/1"'));
    expect(events).toHaveLength(7); // the run: five events with its tool step; the sub-agent: two
    for (const line of raw) {
      expect((line.match(/"run_id":/g) ?? []).length).toBeLessThanOrEqual(1);
      expect((line.match(/"trace_id":/g) ?? []).length).toBeLessThanOrEqual(1);
    }
    for (const line of events) {
      expect(line.match(/"run_id":/g)).toHaveLength(1);
      expect(line.match(/"trace_id":/g)).toHaveLength(1);
    }
  });
});
