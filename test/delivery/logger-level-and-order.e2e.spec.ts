import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pino, { type Logger } from 'pino';
import { AgentLoggingModule, AgentRun, AgentTool } from 'nestjs-agent-logging';
import { LogCapture, type LogLine } from '../support/log-capture';

@Injectable()
class Agent {
  @AgentTool('double')
  double(n: number) {
    return n * 2;
  }
  @AgentRun('quick')
  run(n: number) {
    return this.double(n);
  }
}

async function withApp(logger: Logger, body: (agent: Agent) => void | Promise<void>) {
  @Module({ imports: [AgentLoggingModule.forRoot({ logger })], providers: [Agent] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  await body(app.get(Agent));
  await app.close();
}

describe('what reaches the log', () => {
  it('writes every event of a run even when the app logs at warn; nothing when it is silent', async () => {
    const warn = new LogCapture();
    await withApp(pino({ level: 'warn' }, warn), (agent) => void agent.run(2));
    expect(warn.events.map((e) => e.event)).toEqual(['run_started', 'agent_step', 'tool_call', 'tool_result', 'run_finished']);
    const silent = new LogCapture();
    await withApp(pino({ level: 'silent' }, silent), (agent) => void agent.run(2));
    expect(silent.raw).toBe('');
  });

  it('still shuts down when the destination never finishes flushing (a stalled log reader)', async () => {
    const stalled = new LogCapture();
    // pino hands flush() to a destination that has one; this one never calls back.
    Object.assign(stalled, { flush: () => undefined });
    let closed = false;
    await withApp(pino(stalled), (agent) => void agent.run(1)).then(() => (closed = true));
    expect(closed).toBe(true);
    expect(stalled.events.map((e) => e.event)).toContain('run_finished');
  }, 20_000);

  it('keeps every line, in the order written, when shutdown flushes an asynchronous file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-order-'));
    try {
      // Several rounds, each closing the app straight after its runs, while the destination is still writing.
      for (let round = 0; round < 5; round++) {
        const file = join(dir, `round-${round}.ndjson`);
        const destination = pino.destination({ dest: file, sync: false });
        await new Promise((resolve) => destination.once('ready', resolve));
        await withApp(pino(destination), (agent) => {
          for (let i = 0; i < 50; i++) agent.run(i);
        });
        await new Promise((resolve) => {
          destination.once('close', resolve);
          destination.end();
        });
        const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogLine);
        expect(lines).toHaveLength(250);
        // Written run after run, each in seq order: the file must read the same.
        expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => (i % 5) + 1));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
