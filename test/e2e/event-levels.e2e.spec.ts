import { Injectable, type INestApplication } from '@nestjs/common';
import { Observable } from 'rxjs';
import { AgentLlm, AgentRun, AgentTool } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';
import { expectWellFormedRun, runsIn } from '../support/engine-harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

@Injectable()
class Steps {
  @AgentTool('tool')
  async tool(fail: boolean) {
    if (fail) throw new Error('tool failed');
    return 'ok';
  }

  @AgentLlm('model')
  async model(fail: boolean) {
    if (fail) throw new Error('model failed');
    return { usage: { prompt_tokens: 1, completion_tokens: 1 } };
  }

  @AgentTool('slow_tool')
  async slow() {
    await sleep(200);
  }
}

@Injectable()
class Agents {
  constructor(private readonly steps: Steps) {}

  @AgentRun('ok')
  async ok() {
    await this.steps.model(false);
    await this.steps.tool(false);
  }

  @AgentRun('tool_fails')
  async toolFails() {
    await this.steps.tool(true);
  }

  @AgentRun('model_fails')
  async modelFails() {
    await this.steps.model(true);
  }

  @AgentRun('recovers')
  async recovers() {
    await this.steps.tool(true).catch(() => undefined);
  }

  @AgentRun('body_throws')
  async bodyThrows() {
    throw new RangeError('no');
  }

  @AgentRun({ name: 'too_many', maxSteps: 1 })
  async tooMany() {
    await this.steps.tool(false);
    await this.steps.tool(false);
  }

  @AgentRun({ name: 'times_out', timeoutMs: 10 })
  async timesOut() {
    await this.steps.slow();
  }

  /** A stream whose subscriber leaves while a step is open. */
  @AgentRun('abandoned')
  abandoned() {
    return new Observable<string>((sub) => {
      void this.steps.slow().then(() => sub.complete());
    });
  }
}

describe('the pino level of every event follows its status', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({ metadata: { providers: [Steps, Agents] } });
  });
  afterAll(() => app.close());

  it('writes status "error" at level 50 (error) and everything else at 30 (info)', async () => {
    capture.clear();
    const agents = app.get(Agents);
    const settle = (p: Promise<unknown>) => p.catch(() => undefined);
    await Promise.all([
      settle(agents.ok()), settle(agents.toolFails()), settle(agents.modelFails()), settle(agents.recovers()),
      settle(agents.bodyThrows()), settle(agents.tooMany()), settle(agents.timesOut()),
    ]);
    const subscription = agents.abandoned().subscribe();
    await sleep(5);
    subscription.unsubscribe();
    await sleep(250); // the timed-out and the abandoned runs' slow steps settle, writing nothing more
    await settleLogs();

    const runs = [...runsIn(capture.events).values()];
    expect(runs).toHaveLength(8);
    const finished = new Map(runs.map((events) => [events[0].agent, expectWellFormedRun(events)]));
    expect(Object.fromEntries([...finished].map(([agent, f]) => [agent, [f.status, f.stop_reason, f.level]]))).toEqual({
      ok: ['ok', 'completed', 30],
      tool_fails: ['error', 'tool_error', 50],
      model_fails: ['error', 'step_error', 50],
      recovers: ['ok', 'completed', 30],
      body_throws: ['error', 'error', 50],
      too_many: ['error', 'max_steps', 50],
      times_out: ['error', 'timeout', 50],
      abandoned: ['cancelled', 'cancelled', 30],
    });
    for (const e of capture.events) expect([e.event, e.status, e.level]).toEqual([e.event, e.status, e.status === 'error' ? 50 : 30]);
    // Every status was seen on a step result, so the rule above was checked against each.
    const stepStatuses = new Set(capture.events.filter((e) => String(e.event).endsWith('_result')).map((e) => e.status));
    expect([...stepStatuses].sort()).toEqual(['cancelled', 'error', 'ok']);
  });
});
