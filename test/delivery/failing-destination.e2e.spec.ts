import type { INestApplication } from '@nestjs/common';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { droppedEventCount } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';
import { supportAgentMetadata } from '../e2e/fixtures/support-agent.fixture';
import { ChildApp } from './support/child-app';

// The events go to a destination that fails; the application's own logs go to
// the shared capture. The decorated code must not notice.

const EVENTS_PER_RUN = 7; // run_started, agent_step, llm_result, agent_step, tool_call, tool_result, run_finished
const RUNS = 3;

const diskFull = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

const destinations: [string, () => { write(chunk: string): unknown }][] = [
  [
    'a stream whose writes fail (full disk)',
    () => new Writable({ write: (_chunk, _enc, done) => done(diskFull()) }),
  ],
  [
    'a destination whose write throws',
    () => ({
      write() {
        throw diskFull();
      },
    }),
  ],
  [
    'a destroyed stream',
    () => {
      const stream = new Writable({ write: (_chunk, _enc, done) => done() });
      stream.on('error', () => undefined).destroy(new Error('closed by the log shipper'));
      return stream;
    },
  ],
];

describe('a failing destination never breaks the app', () => {
  // Jest hands the test a copy of `process` whose 'warning' events never fire: watch emitWarning itself (it still runs).
  let emitWarning: jest.SpyInstance;
  beforeEach(() => {
    emitWarning = jest.spyOn(process, 'emitWarning');
  });
  afterEach(() => emitWarning.mockRestore());
  const ourWarnings = () =>
    emitWarning.mock.calls.filter(([, options]) => (options as { code?: string } | undefined)?.code === 'AGENT_LOGGING_DROPPED');

  it.each(destinations)('%s: runs return their values, every event is counted as dropped, one warning', async (_name, make) => {
    const app = await bootApp({ agentLogging: { logger: pino({}, make()) }, metadata: supportAgentMetadata });
    try {
      capture.clear();
      for (let i = 0; i < RUNS; i++) {
        const res = await request(app.getHttpServer()).post('/ask').send({ question: 'where is my order?' });
        expect(res.status).toBe(201);
        expect(res.body.answer).toBe('Your order has shipped.');
      }
      await settleLogs();
      expect(droppedEventCount()).toBe(RUNS * EVENTS_PER_RUN);
      // The application's own log lines still flow, and none of our events leaked elsewhere.
      expect(capture.lines.filter((l) => l.msg === 'answering a question')).toHaveLength(RUNS);
      expect(capture.events).toHaveLength(0);
      const ours = ourWarnings();
      expect(ours).toHaveLength(1);
      expect(ours[0][0]).toMatch(/could not be written \((ENOSPC|Error)\)/);
    } finally {
      await app.close();
    }
  });

  it('a file stream ended under it (log rotation gone wrong)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'agent-delivery-'));
    const stream = createWriteStream(path.join(dir, 'events.log'));
    let app: INestApplication | undefined;
    try {
      app = await bootApp({ agentLogging: { logger: pino(stream) }, metadata: supportAgentMetadata });
      const ok = await request(app.getHttpServer()).post('/ask').send({ question: 'where is my order?' });
      expect(ok.status).toBe(201);
      await new Promise((resolve) => stream.end(resolve));
      for (let i = 0; i < RUNS; i++) {
        const res = await request(app.getHttpServer()).post('/ask').send({ question: 'where is my order?' });
        expect(res.body.answer).toBe('Your order has shipped.');
      }
      expect(droppedEventCount()).toBe(RUNS * EVENTS_PER_RUN);
      expect(ourWarnings()).toHaveLength(1);
    } finally {
      await app?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a closed pipe on stdout, with the library's own fallback logger (no nestjs-pino)", async () => {
    const app = await ChildApp.start({ DEST: 'stdout' });
    try {
      app.child.stdout!.destroy(); // the log shipper reading our stdout went away
      const dropped = async () => ((await (await app.get('dropped')).json()) as { dropped: number }).dropped;
      // Lines already in the pipe's buffer when it closed were not lost to us; wait for the first EPIPE.
      const deadline = Date.now() + 10_000;
      while ((await dropped()) === 0) {
        if (Date.now() > deadline) throw new Error('no write ever failed');
        expect(await (await app.get('answer')).text()).toBe('done');
      }
      const before = await dropped();
      for (let i = 0; i < RUNS; i++) expect(await (await app.get('answer')).text()).toBe('done');
      expect((await dropped()) - before).toBe(RUNS * 8);
      app.kill('SIGTERM');
      expect(await app.exited).toEqual({ code: null, signal: 'SIGTERM' });
      expect(app.stderr.match(/AGENT_LOGGING_DROPPED/g)).toHaveLength(1);
      expect(app.stderr).toContain('could not be written (EPIPE)');
    } finally {
      app.dispose();
    }
  });
});
