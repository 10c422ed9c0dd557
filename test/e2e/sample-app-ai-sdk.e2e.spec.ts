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
const dir = mkdtempSync(join(tmpdir(), 'sample-app-ai-sdk-'));
const logFile = join(dir, 'agent-events.ndjson');
process.env.AGENT_LOG_FILE = logFile;

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

const readLines = () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);

describe('the sample app\'s AI SDK agent, no decorator on its loop', () => {
  let lines: LogLine[] = [];
  const statuses: number[] = [];

  beforeAll(async () => {
    const { AppModule } = require('../../sample-app/src/app.module.js') as typeof import('../../sample-app/src/app.module.js', { with: { 'resolution-mode': 'import' } });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ bufferLogs: true });
    app.useLogger(app.get(Logger));
    await app.listen(0, '127.0.0.1');
    for (const [i, { question }] of QUESTIONS.entries()) {
      const res = await request(app.getHttpServer()).post('/orders/ask').set('x-request-id', `orders-${i}`).send({ question });
      statuses.push(res.status);
    }
    await app.close();
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
