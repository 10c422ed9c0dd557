import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Logger } from 'nestjs-pino';
import request from 'supertest';
import { expectWellFormedRun, runsIn } from '../support/engine-harness';
import type { LogLine } from '../support/log-capture';

// The sample app picks its log destination when its module is loaded, as in the demo.
const dir = mkdtempSync(join(tmpdir(), 'sample-app-'));
const logFile = join(dir, 'agent-events.ndjson');
process.env.AGENT_LOG_FILE = logFile;

/** The questions `npm run demo` asks, with what each must end as. */
const QUESTIONS = [
  { question: 'Where is my order A-1001?', status: 201, stop: 'completed' },
  { question: 'What is your refund policy?', status: 201, stop: 'completed' },
  { question: 'Where is my order A-9999?', status: 502, stop: 'tool_error', failingTool: 'lookup_order' },
  { question: 'Please refund order A-1002, it arrived broken', status: 502, stop: 'tool_error', failingTool: 'create_refund' },
  { question: 'keep searching for the manual of my toaster', status: 502, stop: 'max_steps' },
];

const readLines = () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);

describe('the sample app, booted as `npm run demo` boots it', () => {
  let app: INestApplication;
  let lines: LogLine[] = [];
  const answers: { status: number; body: { runId?: string; run_id?: string; message?: string }; header?: string }[] = [];

  beforeAll(async () => {
    // Required only now, after AGENT_LOG_FILE is set (an import would be hoisted above it).
    const { AppModule } = require('../../sample-app/src/app.module.js') as typeof import('../../sample-app/src/app.module.js', { with: { 'resolution-mode': 'import' } });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ bufferLogs: true });
    app.useLogger(app.get(Logger));
    await app.listen(0, '127.0.0.1');
    for (const [i, { question }] of QUESTIONS.entries()) {
      const res = await request(app.getHttpServer()).post('/support/ask').set('x-request-id', `sample-${i}`).send({ question });
      answers.push({ status: res.status, body: res.body, header: res.headers['x-agent-run-id'] });
    }
    await app.close();
    // The file destination is asynchronous (sync: false), and sonic-boom's flush(cb) with minLength 0 calls
    // back before a write in flight lands: wait, bounded, for the last run's events to reach the file.
    for (let i = 0; i < 100; i++) {
      lines = readLines();
      if (lines.filter((l) => l.event === 'run_finished').length >= QUESTIONS.length) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  afterAll(() => {
    delete process.env.AGENT_LOG_FILE;
    rmSync(dir, { recursive: true, force: true });
  });

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
