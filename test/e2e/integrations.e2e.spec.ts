import { Controller, Get, Injectable } from '@nestjs/common';
import request from 'supertest';
import { AgentRun, AgentTool, droppedEventCount, type AgentLoggingIntegration, type EventRun } from 'nestjs-agent-logging';
import { capture, settleLogs, useApp } from '../support/boot';

@Injectable()
class Tools {
  @AgentTool('lookup')
  async lookup(args: { id: string }) {
    return { found: args.id };
  }
}

@Injectable()
class Agent {
  constructor(private readonly tools: Tools) {}

  @AgentRun('viewed')
  async answer() {
    return this.tools.lookup({ id: 'a' });
  }
}

@Controller()
class AgentController {
  constructor(private readonly agent: Agent) {}

  @Get('run')
  run() {
    return this.agent.answer();
  }
}

const heard: { run: EventRun; event: Record<string, unknown> }[] = [];
const listening: AgentLoggingIntegration = {
  name: 'listening',
  onEvent: (run, event) => {
    heard.push({ run: { runId: run.runId, traceId: run.traceId, traceFlags: run.traceFlags, agent: run.agent }, event: { ...event } });
  },
};
const throwing: AgentLoggingIntegration = {
  name: 'throwing',
  onEvent: () => {
    throw new Error('integration bug');
  },
};

describe('integrations', () => {
  const app = useApp({
    agentLogging: { integrations: [throwing, listening] },
    metadata: { controllers: [AgentController], providers: [Agent, Tools] },
  });

  it('are told every event the log got, in order, with its run; a throwing one is counted, never thrown into the app', async () => {
    capture.clear();
    heard.length = 0;
    const dropped = droppedEventCount();
    await request(app().getHttpServer()).get('/run').expect(200, { found: 'a' });
    await settleLogs();
    const logged = capture.events;
    expect(logged.map((e) => e.event)).toEqual(['run_started', 'agent_step', 'tool_call', 'tool_result', 'run_finished']);
    // The integration sees exactly what the line says, field for field, without the run's bound fields.
    expect(heard.map((h) => h.event)).toEqual(
      logged.map(({ level: _l, time: _t, pid: _p, hostname: _h, run_id: _r, trace_id: _tr, trace_flags: _f, agent: _a, schema: _s, ...rest }) => rest),
    );
    for (const h of heard) expect(h.run).toEqual({ runId: logged[0].run_id, traceId: logged[0].trace_id, traceFlags: '01', agent: 'viewed' });
    expect(droppedEventCount() - dropped).toBe(logged.length);
  });
});
