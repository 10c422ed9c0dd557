import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from 'nestjs-pino';
import { installedEngine } from '../../src/core/engine';
import { fire, pendingTimers, readEvents, settledHeap, type LoadOptions, type LoadResult } from './support/load';
import type { LogLine } from '../support/log-capture';

// The sample app under load over real HTTP on loopback. `npm test` runs the
// small profile; `npm run load` the full one (AGENT_LOAD=full).
const FULL = process.env.AGENT_LOAD === 'full';
const PROFILE = FULL
  ? { connections: 200, amount: Number(process.env.AGENT_LOAD_REQUESTS ?? 30_000), warmup: 2_000, heapSlackBytes: 4 * 1024 * 1024 }
  : { connections: 50, amount: 1_500, warmup: 1_000, heapSlackBytes: 2 * 1024 * 1024 };

const ask = (question: string) => ({
  method: 'POST' as const,
  path: '/support/ask',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ question }),
});
// Each connection cycles through these: two answered (a tool call between two model calls), one failing tool.
const REQUESTS = [ask('Where is my order A-1001?'), ask('What is your refund policy?'), ask('Where is my order A-9999?')];

jest.setTimeout(FULL ? 180_000 : 60_000);

describe(`the sample app under load (${FULL ? 'full' : 'small'} profile)`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'agent-load-'));
  const logFile = path.join(dir, 'events.ndjson');
  let app: INestApplication;
  let closed = false;
  let url: string;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close(); // ends runs still in flight and flushes the asynchronous file destination
  };

  beforeAll(async () => {
    process.env.AGENT_LOG_FILE = logFile; // read by the sample app's module when it is loaded
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { AppModule } = require('../../sample-app/src/app.module.js') as typeof import('../../sample-app/src/app.module.js', { with: { 'resolution-mode': 'import' } });
    app = await NestFactory.create(AppModule, { bufferLogs: true, logger: false });
    app.useLogger(app.get(Logger));
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every run and step ends, counts match the requests served, and memory returns to its baseline', async () => {
    const options = (amount: number): LoadOptions => ({ url, amount, connections: PROFILE.connections, timeout: 10, requests: REQUESTS });
    // The heap grows once while code warms up, then stays flat however many rounds follow: measure after that.
    const warmup = await fire(options(PROFILE.warmup));
    const engine = installedEngine()!;
    // Watch every run of the load without holding it: after a full GC none may be left.
    const runs: WeakRef<object>[] = [];
    const track = engine.track.bind(engine);
    engine.track = (run) => {
      runs.push(new WeakRef(run));
      track(run);
    };
    await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => engine.sink.flush!(r));
    const heapBefore = settledHeap();
    const timersBefore = pendingTimers();

    const load: LoadResult = await fire(options(PROFILE.amount));
    expect(load.errors).toBe(0);
    expect(load.timeouts).toBe(0);
    expect(load['2xx'] + load.non2xx).toBe(PROFILE.amount);

    // Nothing held per finished run: no run in flight, no timer left, the heap back where it was
    // once the log lines still queued in the asynchronous destination are written out.
    await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => engine.sink.flush!(r));
    expect(engine.runsInFlight).toBe(0);
    // Sockets closing after the load (keep-alive, the client's own) hold timers for a moment on a busy machine:
    // wait for them, well short of the sample app's 30 s run timeout, which a leaked run timer would still hold.
    for (let waited = 0; pendingTimers() > timersBefore && waited < 3000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    expect(pendingTimers()).toBeLessThanOrEqual(timersBefore);
    const heapAfter = settledHeap();
    const served = load['2xx'] + load.non2xx;
    expect(runs).toHaveLength(served);
    expect(runs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    process.stdout.write(
      `load: ${served} requests, ${Math.round(load.requests.average)} req/s, p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms, ` +
        `heap ${((heapAfter - heapBefore) / 1024).toFixed(0)} KB after vs before (${((heapAfter - heapBefore) / served).toFixed(1)} B per request)\n`,
    );
    expect(heapAfter - heapBefore).toBeLessThan(PROFILE.heapSlackBytes);

    await close();
    const events = readEvents(logFile);
    const byRun = new Map<string, LogLine[]>();
    for (const e of events) byRun.set(e.run_id as string, [...(byRun.get(e.run_id as string) ?? []), e]);

    const total = warmup['2xx'] + warmup.non2xx + served;
    expect(byRun.size).toBe(total);
    const finished: LogLine[] = [];
    for (const [, list] of byRun) {
      expect(list.filter((e) => e.event === 'run_started')).toHaveLength(1);
      const ends = list.filter((e) => e.event === 'run_finished');
      expect(ends).toHaveLength(1);
      finished.push(ends[0]);
      const steps = list.filter((e) => e.event === 'agent_step').map((e) => e.span_id);
      const results = list.filter((e) => e.event === 'tool_result' || e.event === 'llm_result').map((e) => e.span_id);
      expect(results.sort()).toEqual(steps.sort());
      expect(list.map((e) => e.seq).sort((a, b) => (a as number) - (b as number))).toEqual(list.map((_, i) => i + 1));
    }
    expect(finished.filter((e) => e.stop_reason === 'completed')).toHaveLength(warmup['2xx'] + load['2xx']);
    expect(finished.filter((e) => e.stop_reason === 'tool_error')).toHaveLength(warmup.non2xx + load.non2xx);
    expect(load.non2xx).toBeGreaterThan(0);
  });
});
