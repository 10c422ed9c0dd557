import { Controller, Get, Injectable, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AgentRun, AgentTool, currentAgentRun } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';

@Injectable()
class SlowTools {
  /** A model call that honours the run's signal, as `fetch(url, { signal })` does. */
  @AgentTool('slow_model')
  waitForModel(): Promise<string> {
    const signal = currentAgentRun()!.signal;
    return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
  }
}

@Injectable()
class SlowAgent {
  constructor(private readonly tools: SlowTools) {}

  @AgentRun({ name: 'slow', timeoutMs: 50 })
  async answer(): Promise<string> {
    return this.tools.waitForModel();
  }
}

@Controller()
class SlowController {
  constructor(private readonly agent: SlowAgent) {}

  @Get('slow')
  async slow() {
    try {
      return await this.agent.answer();
    } catch (err) {
      return { failed: (err as Error).name };
    }
  }
}

describe('a run ended from outside its body (timeout)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({ metadata: { controllers: [SlowController], providers: [SlowTools, SlowAgent] } });
  });
  afterAll(() => app.close());

  it('closes the open step as cancelled before run_finished, and nothing is written after it', async () => {
    capture.clear();
    const res = await request(app.getHttpServer()).get('/slow');
    expect(res.body).toEqual({ failed: 'AgentRunTimeoutError' }); // the step's promise rejected with the signal's reason
    await settleLogs();
    const events = capture.events;
    expect(events.map((e) => e.event)).toEqual(['run_started', 'agent_step', 'tool_call', 'tool_result', 'run_finished']);
    const [, , call, result, finished] = events;
    expect(result).toMatchObject({ span_id: call.span_id, status: 'cancelled', level: 30 });
    expect(finished).toMatchObject({ status: 'error', stop_reason: 'timeout', errors: 0, seq: 5 });
  });
});
