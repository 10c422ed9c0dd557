import { getEventListeners } from 'node:events';
import { Observable, from, mergeMap } from 'rxjs';
import { AgentRun, AgentTool, currentAgentRun, withAgentRun } from 'nestjs-agent-logging';
import { expectWellFormedRun, installEngine, runsIn, tick } from '../support/engine-harness';
import type { LogLine } from '../support/log-capture';

class Researcher {
  @AgentTool('search')
  async search(q: string) {
    await tick(1);
    return `results for ${q}`;
  }
  @AgentRun({ name: 'researcher', timeoutMs: 1000 })
  async research(topic: string) {
    await this.search(topic);
    await this.search(`${topic} again`);
    return currentAgentRun()!;
  }
}

class Orchestrator {
  constructor(readonly researcher: Researcher) {}

  @AgentTool('delegate')
  async delegate(topic: string) {
    return this.researcher.research(topic);
  }
  @AgentRun('orchestrator')
  async direct() {
    await this.researcher.search('warm-up');
    const child = await this.researcher.research('direct');
    return { child, self: currentAgentRun()! };
  }
  @AgentRun('orchestrator')
  async viaTool() {
    return this.delegate('via a tool');
  }
  @AgentRun('orchestrator')
  async fanOut() {
    return Promise.all(['a', 'b', 'c'].map((t) => this.researcher.research(t)));
  }
  @AgentRun('orchestrator')
  stream(): Observable<unknown> {
    return from(['x', 'y']).pipe(mergeMap((t) => this.researcher.research(t)));
  }
}

describe('nested runs', () => {
  let harness: ReturnType<typeof installEngine>;
  beforeEach(() => {
    harness = installEngine();
  });
  afterEach(() => harness.uninstall());
  const orchestrator = new Orchestrator(new Researcher());

  async function parentAndChildren() {
    await tick(5);
    const runs = [...runsIn(harness.capture.events).values()];
    for (const events of runs) expectWellFormedRun(events);
    const parent = runs.find((r) => r[0].agent === 'orchestrator')!;
    const children = runs.filter((r) => r[0].agent === 'researcher');
    return { parent, children };
  }

  function expectChildOf(child: LogLine[], parent: LogLine[], parentSpanId: unknown) {
    const [started] = child;
    expect(started.run_id).not.toBe(parent[0].run_id);
    expect(started).toMatchObject({ trace_id: parent[0].trace_id, parent_run_id: parent[0].run_id, parent_span_id: parentSpanId });
    expect(child.at(-1)).toMatchObject({ parent_span_id: parentSpanId, total_steps: 2, tool_calls: 2 });
    // The child's steps hang under the child's span, never the parent's.
    for (const e of child.filter((x) => x.event === 'agent_step')) expect(e.parent_span_id).toBe(started.span_id);
  }

  it('a run called from a run body: own run_id, the parent\'s trace, its span under the parent run; steps count in the child only', async () => {
    const { child, self } = await orchestrator.direct();
    const { parent, children } = await parentAndChildren();
    expect(children).toHaveLength(1);
    expectChildOf(children[0], parent, parent[0].span_id);
    expect(parent.at(-1)).toMatchObject({ total_steps: 1, tool_calls: 1, stop_reason: 'completed' });
    expect(child).toMatchObject({ runId: children[0][0].run_id, parentRunId: self.runId, traceId: self.traceId, agent: 'researcher' });
    expect(self.parentRunId).toBeUndefined();
    // The parent's events stay contiguous: the child's never take a seq of the parent's.
    expect(parent.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('a run called from inside a tool step hangs under that step\'s span', async () => {
    await orchestrator.viaTool();
    const { parent, children } = await parentAndChildren();
    const delegateStep = parent.find((e) => e.event === 'agent_step')!;
    expectChildOf(children[0], parent, delegateStep.span_id);
    expect(parent.at(-1)).toMatchObject({ total_steps: 1 });
  });

  it('concurrent children each get their own run and count their own steps', async () => {
    const infos = await orchestrator.fanOut();
    const { parent, children } = await parentAndChildren();
    expect(children).toHaveLength(3);
    expect(new Set(infos.map((i) => i.runId)).size).toBe(3);
    for (const child of children) expectChildOf(child, parent, parent[0].span_id);
    expect(parent.at(-1)).toMatchObject({ total_steps: 0 });
  });

  it('children started from inside the parent\'s Observable pipe', async () => {
    await new Promise((r) => orchestrator.stream().subscribe({ complete: () => r(undefined) }));
    const { parent, children } = await parentAndChildren();
    expect(children).toHaveLength(2);
    for (const child of children) expectChildOf(child, parent, parent[0].span_id);
  });

  it('a sub-agent\'s refusal rethrown by its parent: the stop reason carries up, the limit stays the sub-agent\'s', async () => {
    const search = withAgentRun({ name: 'researcher', maxSteps: 1 }, async () => {
      await orchestrator.researcher.search('one');
      await orchestrator.researcher.search('two'); // refused: maxSteps 1
    });
    const parent = withAgentRun({ name: 'orchestrator', maxSteps: 50 }, async () => search());
    await expect(parent()).rejects.toMatchObject({ name: 'MaxStepsExceededError', maxSteps: 1 });
    const { parent: events, children } = await parentAndChildren();
    expect(children[0].at(-1)).toMatchObject({ stop_reason: 'max_steps', limit: { name: 'maxSteps', value: 1 } });
    expect(events.at(-1)).toMatchObject({ stop_reason: 'max_steps', error_class: 'MaxStepsExceededError' });
    expect(events.at(-1)).not.toHaveProperty('limit'); // the parent's own maxSteps (50) stopped nothing
  });

  it('a child\'s signal is aborted when its parent times out', async () => {
    let childSignal: AbortSignal | undefined;
    const slowChild = withAgentRun('researcher', async () => {
      childSignal = currentAgentRun()!.signal;
      await tick(30);
    });
    const parent = withAgentRun({ name: 'orchestrator', timeoutMs: 5 }, async () => slowChild());
    await parent();
    expect(childSignal?.aborted).toBe(true);
    const runs = [...runsIn(harness.capture.events).values()];
    expect(runs.map((r) => expectWellFormedRun(r).stop_reason).sort()).toEqual(['completed', 'timeout']);
  });
});

describe('many sub-agents under one parent', () => {
  let harness: ReturnType<typeof installEngine>;
  beforeEach(() => {
    harness = installEngine();
  });
  afterEach(() => harness.uninstall());

  it('children that read their signal do not pile listeners on the parent\'s once they end (no EventTarget leak)', async () => {
    const child = withAgentRun('researcher', async () => {
      void currentAgentRun()!.signal;
      await tick();
    });
    const listeners = await withAgentRun('orchestrator', async () => {
      const own = currentAgentRun()!.signal;
      for (let i = 0; i < 30; i++) await child();
      return getEventListeners(own, 'abort').length;
    })();
    expect(listeners).toBe(0);
    await tick(5);
    expect(runsIn(harness.capture.events).size).toBe(31);
  });
});
