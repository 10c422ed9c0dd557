import { pbkdf2 } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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

  it('keeps every line, in the order written, when shutdown flushes while a write is still in flight', async () => {
    // libuv's threadpool (4 threads) kept busy, so the destination's first asynchronous write waits in its queue
    // when the app closes: a synchronous flush then would write the lines behind it before it.
    const dir = mkdtempSync(join(tmpdir(), 'agent-order-'));
    try {
      const file = join(dir, 'events.ndjson');
      const destination = pino.destination({ dest: file, sync: false });
      await new Promise((resolve) => destination.once('ready', resolve));
      let busy: Promise<unknown>[] = [];
      await withApp(pino(destination), (agent) => {
        busy = Array.from({ length: 4 }, () => promisify(pbkdf2)('secret', 'salt', 300_000, 64, 'sha512'));
        for (let i = 0; i < 50; i++) agent.run(i);
        expect((destination as unknown as { _writing: boolean })._writing).toBe(true); // the premise of the test
      });
      await Promise.all(busy);
      await new Promise((resolve) => {
        destination.once('close', resolve);
        destination.end();
      });
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogLine);
      expect(lines).toHaveLength(250);
      // Written run after run, each in seq order: the file must read the same.
      expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => (i % 5) + 1));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
