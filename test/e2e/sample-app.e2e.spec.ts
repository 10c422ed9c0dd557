import type { LogLine } from '../support/log-capture';
import { expectWellFormedRun, runsIn } from '../support/engine-harness';
import { askSampleApp, type SampleAnswer } from './support/sample-app';

/** The questions `npm run demo` asks, with what each must end as. */
const QUESTIONS = [
  { question: 'Where is my order A-1001?', status: 201, stop: 'completed' },
  { question: 'What is your refund policy?', status: 201, stop: 'completed' },
  { question: 'Where is my order A-9999?', status: 502, stop: 'tool_error', failingTool: 'lookup_order' },
  { question: 'Please refund order A-1002, it arrived broken', status: 502, stop: 'tool_error', failingTool: 'create_refund' },
  { question: 'keep searching for the manual of my toaster', status: 502, stop: 'max_steps' },
];

describe('the sample app, booted as `npm run demo` boots it', () => {
  let lines: LogLine[] = [];
  let answers: SampleAnswer[] = [];
  let cleanUp = () => {};

  beforeAll(async () => {
    ({ answers, lines, cleanUp } = await askSampleApp('/support/ask', QUESTIONS.map((q) => q.question), 'sample'));
  });
  afterAll(() => cleanUp());

  it('answers over HTTP and writes one well-formed run per question, ending as scripted', () => {
    expect(answers.map((a) => a.status)).toEqual(QUESTIONS.map((q) => q.status));
    const runs = [...runsIn(lines.filter((l) => l.schema === 'agent-log/1')).values()];
    expect(runs).toHaveLength(QUESTIONS.length);
    for (const [i, q] of QUESTIONS.entries()) {
      const events = runs[i];
      const finished = expectWellFormedRun(events);
      expect(events[0]).toMatchObject({ agent: 'support', request_id: `sample-${i}` });
      expect(finished.stop_reason).toBe(q.stop);
      if (q.failingTool) {
        const failed = events.find((e) => e.event === 'tool_result' && e.status === 'error')!;
        expect(failed).toMatchObject({ tool: q.failingTool, level: 50, step_index: finished.first_error_step_index });
      }
    }
    // The customer is given the run id of a good answer: it finds the run.
    expect(runs[0][0].run_id).toBe(answers[0].body.runId);
  });

  it('answers a failure with its run id in the body (the exception filter, from the x-agent-run-id header) and nothing else of it', () => {
    const runs = [...runsIn(lines.filter((l) => l.schema === 'agent-log/1')).values()];
    for (const [i, q] of QUESTIONS.entries()) {
      const runId = runs[i][0].run_id;
      expect(answers[i].header).toBe(runId);
      if (q.status === 201) continue;
      const message = q.stop === 'max_steps' ? 'the agent gave up' : 'the agent failed';
      expect(answers[i].body).toEqual({ message, run_id: runId });
    }
  });

  it('correlates the app\'s own log lines with their run, and logs no question text', () => {
    const calling = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('calling tool'));
    expect(calling.length).toBeGreaterThanOrEqual(QUESTIONS.length);
    const runIds = new Set(lines.filter((l) => l.event === 'run_started').map((l) => l.run_id));
    for (const line of calling) expect(runIds.has(line.run_id)).toBe(true);
    const events = JSON.stringify(lines.filter((l) => l.schema === 'agent-log/1'));
    for (const { question } of QUESTIONS) expect(events).not.toContain(question);
  });
});
