import type { LogLine } from '../support/log-capture';
import { expectWellFormedRun, runsIn } from '../support/engine-harness';
import { askSampleApp } from './support/sample-app';

/** The questions `npm run demo` asks the AI SDK agent, with how each run must end and its steps. */
const QUESTIONS = [
  { question: 'Where is my order A-1001?', stop: 'completed', steps: ['llm_call', 'tool_call find_order', 'tool_call lookup_order', 'llm_call'] },
  { question: 'Where is my order A-9999?', stop: 'completed', steps: ['llm_call', 'tool_call find_order', 'tool_call lookup_order', 'llm_call'], errors: 2 },
  {
    question: 'keep checking order A-1001',
    stop: 'max_steps',
    steps: ['llm_call', 'tool_call find_order', 'tool_call lookup_order', 'llm_call', 'tool_call find_order', 'tool_call lookup_order'],
  },
];

describe('the sample app\'s AI SDK agent, no decorator on its loop', () => {
  let lines: LogLine[] = [];
  let statuses: number[] = [];
  let cleanUp = () => {};

  beforeAll(async () => {
    const asked = await askSampleApp('/orders/ask', QUESTIONS.map((q) => q.question), 'orders');
    ({ lines, cleanUp } = asked);
    statuses = asked.answers.map((a) => a.status);
  });
  afterAll(() => cleanUp());

  it('writes one run per question, opened by the AI SDK integration inside the request, with the steps the SDK took', () => {
    expect(statuses).toEqual([201, 201, 201]);
    const runs = [...runsIn(lines.filter((l) => l.schema === 'agent-log/1')).values()];
    expect(runs).toHaveLength(QUESTIONS.length);
    for (const [i, q] of QUESTIONS.entries()) {
      const events = runs[i];
      const finished = expectWellFormedRun(events);
      expect(events[0]).toMatchObject({ agent: 'order_desk', request_id: `orders-${i}` });
      expect(finished.stop_reason).toBe(q.stop);
      expect(finished.errors).toBe(q.errors ?? 0);
      const steps = events.filter((e) => e.event === 'agent_step').map((e) => `${e.step_type as string}${e.tool ? ` ${e.tool as string}` : ''}`);
      expect(steps).toEqual(q.steps);
      // The decorated lookup_order, called from the SDK's tool, is a step under the SDK tool's own step.
      const find = events.find((e) => e.event === 'tool_call' && e.tool === 'find_order')!;
      const lookup = events.find((e) => e.event === 'tool_call' && e.tool === 'lookup_order')!;
      expect(lookup.parent_span_id).toBe(find.span_id);
      expect(find.tool_call_id).toMatch(/^call_/);
    }
    const events = JSON.stringify(lines.filter((l) => l.schema === 'agent-log/1'));
    for (const { question } of QUESTIONS) expect(events).not.toContain(question);
  });
});
