import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { Logger } from 'nestjs-pino';
import request from 'supertest';
import type { LogLine } from '../../support/log-capture';

/** One answer the sample app gave over HTTP. */
export interface SampleAnswer {
  status: number;
  body: { answer?: string; runId?: string; run_id?: string; message?: string };
  header?: string;
}

/**
 * The sample app booted as `npm run demo` boots it (bufferLogs, nestjs-pino),
 * its log in a file of its own, asked each question over real HTTP; resolves
 * once the file holds a run_finished per question. The app picks its log
 * destination when its module is loaded, so the module is required only
 * after AGENT_LOG_FILE is set.
 */
export async function askSampleApp(path: string, questions: readonly string[], requestIdPrefix: string) {
  const dir = mkdtempSync(join(tmpdir(), `${requestIdPrefix}-`));
  const logFile = join(dir, 'agent-events.ndjson');
  process.env.AGENT_LOG_FILE = logFile;
  const readLines = () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);
  const { AppModule } = require('../../../sample-app/src/app.module.js') as typeof import('../../../sample-app/src/app.module.js', { with: { 'resolution-mode': 'import' } });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ bufferLogs: true });
  app.useLogger(app.get(Logger));
  await app.listen(0, '127.0.0.1');
  const answers: SampleAnswer[] = [];
  for (const [i, question] of questions.entries()) {
    const res = await request(app.getHttpServer()).post(path).set('x-request-id', `${requestIdPrefix}-${i}`).send({ question });
    answers.push({ status: res.status, body: res.body as SampleAnswer['body'], header: res.headers['x-agent-run-id'] as string | undefined });
  }
  await app.close();
  // The file destination is asynchronous (sync: false), and sonic-boom's flush(cb) with minLength 0 calls
  // back before a write in flight lands: wait, bounded, for the last run's events to reach the file.
  let lines = readLines();
  for (let i = 0; i < 100 && lines.filter((l) => l.event === 'run_finished').length < questions.length; i++) {
    await new Promise((r) => setTimeout(r, 20));
    lines = readLines();
  }
  const cleanUp = () => {
    delete process.env.AGENT_LOG_FILE;
    rmSync(dir, { recursive: true, force: true });
  };
  return { answers, lines, cleanUp };
}
