import { Controller, Injectable, Post, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AgentRun, AgentTool, MaxStepsExceededError, currentAgentRun } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';
import { expectWellFormedRun, runsIn } from '../support/engine-harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

@Injectable()
class Tools {
  @AgentTool('step')
  async step() {
    await sleep(1);
    return 'ok';
  }
  /** Never answers on its own; gives up when the run's signal aborts, as a fetch given that signal would. */
  @AgentTool('fetch_slow')
  async fetchSlow() {
    const signal = currentAgentRun()!.signal;
    await new Promise<void>((_resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
  }
}

@Injectable()
class Agents {
  constructor(private readonly tools: Tools) {}
  @AgentRun('module_budget')
  async moduleBudget() {
    for (;;) await this.tools.step();
  }
  @AgentRun({ name: 'own_budget', maxSteps: 4 })
  async ownBudget() {
    for (let i = 0; i < 4; i++) await this.tools.step();
    return 'within budget';
  }
  @AgentRun({ name: 'bounded', timeoutMs: 20 })
  async bounded() {
    return this.tools.fetchSlow();
  }
  @AgentRun('in_flight')
  async inFlight() {
    return this.tools.fetchSlow();
  }
}

@Controller()
class AgentController {
  constructor(private readonly agents: Agents) {}
  @Post('module-budget')
  async moduleBudget() {
    try {
      return await this.agents.moduleBudget();
    } catch (err) {
      return { refused: err instanceof MaxStepsExceededError };
    }
  }
  @Post('own-budget')
  ownBudget() {
    return this.agents.ownBudget();
  }
  @Post('bounded')
  async bounded() {
    return this.agents.bounded().catch((err: Error) => ({ aborted: err.name }));
  }
}

const lastRun = () => [...runsIn(capture.events).values()].at(-1)!;

describe('how runs end, through the real module', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({ agentLogging: { maxSteps: 2 }, metadata: { controllers: [AgentController], providers: [Tools, Agents] } });
  });
  beforeEach(() => capture.clear());

  it('max_steps from the module default: the third step is refused with MaxStepsExceededError', async () => {
    const res = await request(app.getHttpServer()).post('/module-budget').expect(201);
    expect(res.body).toEqual({ refused: true });
    await settleLogs();
    expect(expectWellFormedRun(lastRun())).toMatchObject({ status: 'error', stop_reason: 'max_steps', total_steps: 2 });
  });

  it('a per-run maxSteps overrides the module default', async () => {
    await request(app.getHttpServer()).post('/own-budget').expect(201);
    await settleLogs();
    expect(expectWellFormedRun(lastRun())).toMatchObject({ status: 'ok', stop_reason: 'completed', total_steps: 4 });
  });

  it('timeout aborts the run\'s signal, which the tool passed on: the open step is closed, the run ends timeout', async () => {
    const res = await request(app.getHttpServer()).post('/bounded').expect(201);
    expect(res.body).toEqual({ aborted: 'AgentRunTimeoutError' });
    await settleLogs();
    const run = lastRun();
    expect(expectWellFormedRun(run)).toMatchObject({ status: 'error', stop_reason: 'timeout', total_steps: 1 });
    expect(run.find((e) => e.event === 'tool_result')).toMatchObject({ status: 'cancelled' });
  });

  it('shutdown: a run in flight when the app closes gets its run_finished, its open step closed first', async () => {
    const pending = app.get(Agents).inFlight();
    await sleep(5);
    await app.close();
    // The tool's signal was aborted by the shutdown, so the body fails on its own afterwards.
    await expect(pending).rejects.toThrow('process shutting down');
    // An AbortError, as fetch and the model SDKs expect of an abort they should not retry.
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    const run = lastRun();
    expect(expectWellFormedRun(run)).toMatchObject({ status: 'error', stop_reason: 'shutdown', total_steps: 1 });
    expect(run.find((e) => e.event === 'tool_result')).toMatchObject({ status: 'cancelled' });
  });
});
