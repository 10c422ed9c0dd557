import { Controller, Get, Injectable, Param, type INestApplication } from '@nestjs/common';
import { concatMap, interval, mergeMap, take, timer, toArray } from 'rxjs';
import request from 'supertest';
import { AgentRun, AgentTool, currentAgentRun } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';
import { expectWellFormedRun } from '../support/engine-harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Holds every run that reaches it until `size` runs have: proof that they were all in flight at once. */
class Barrier {
  private waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}
  arrive(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length >= this.size) for (const release of this.waiting) release();
    });
  }
}

@Injectable()
class Agent {
  barrier?: Barrier;

  @AgentTool('wait')
  async wait(ms: number) {
    await sleep(ms);
    return ms;
  }

  /** Two steps with a pause between (and the barrier, when set), so concurrent runs interleave step by step. */
  @AgentRun('ctx_agent')
  async answer(ms: number) {
    await this.wait(ms);
    await this.barrier?.arrive();
    await this.wait(ms);
    const run = currentAgentRun()!;
    return { runId: run.runId, requestId: run.requestId ?? null };
  }
}

@Controller()
class ContextController {
  constructor(private readonly agent: Agent) {}

  /** The run starts in a timer callback, after the interceptor's subscribe has returned. */
  @Get('later/:ms')
  later(@Param('ms') ms: string) {
    return timer(Number(ms)).pipe(mergeMap(() => this.agent.answer(Number(ms))));
  }

  /** Three runs, one per tick of a stream the handler returned. */
  @Get('ticks')
  ticks() {
    return interval(3).pipe(take(3), concatMap(() => this.agent.answer(1)), toArray());
  }
}

type Answer = { runId: string; requestId: string | null };

describe('the interceptor\'s context over a request\'s whole stream, and only that request', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({ metadata: { controllers: [ContextController], providers: [Agent] } });
  });
  afterAll(() => app.close());
  beforeEach(() => capture.clear());

  it('gives each of many interleaved requests its own request_id, on every event of its run', async () => {
    const server = app.getHttpServer();
    // Later requests wait less, so they overtake earlier ones: starts, steps and ends interleave.
    const ids = Array.from({ length: 12 }, (_, i) => `req-${i}`);
    app.get(Agent).barrier = new Barrier(ids.length);
    const responses = await Promise.all(
      ids.map((id, i) => request(server).get(`/later/${2 + (ids.length - i) * 2}`).set('x-request-id', id).expect(200)),
    );
    app.get(Agent).barrier = undefined;
    await settleLogs();
    const answers = responses.map((r) => r.body as Answer);
    expect(answers.map((a) => a.requestId)).toEqual(ids);
    expect(new Set(answers.map((a) => a.runId)).size).toBe(ids.length);
    for (const [i, answer] of answers.entries()) {
      const events = capture.eventsOf(answer.runId);
      expectWellFormedRun(events);
      expect(events[0]).toMatchObject({ event: 'run_started', request_id: ids[i] });
    }
    // The barrier held every run until all had started: their events really are interleaved.
    const order = capture.events.filter((e) => e.event === 'run_started' || e.event === 'run_finished').map((e) => e.event);
    expect(order.slice(0, ids.length).every((e) => e === 'run_started')).toBe(true);
  });

  it('covers every value of a handler\'s Observable: each run it starts has the request\'s id', async () => {
    const res = await request(app.getHttpServer()).get('/ticks').set('x-request-id', 'stream-req').expect(200);
    await settleLogs();
    const answers = res.body as Answer[];
    expect(answers).toHaveLength(3);
    for (const answer of answers) {
      expect(answer.requestId).toBe('stream-req');
      expect(capture.eventsOf(answer.runId)[0]).toMatchObject({ request_id: 'stream-req' });
    }
  });

  it('never leaks one request\'s context into the next request or into code outside any request', async () => {
    const server = app.getHttpServer();
    await request(server).get('/later/1').set('x-request-id', 'first-req').expect(200);
    // No x-request-id: pino-http's own id for this request, not the previous request's.
    const second = (await request(server).get('/later/1').expect(200)).body as Answer;
    expect(second.requestId).not.toBeNull();
    expect(second.requestId).not.toBe('first-req');
    // A run started outside any request has no request context at all.
    const outside = await app.get(Agent).answer(1);
    await settleLogs();
    expect(outside.requestId).toBeNull();
    expect(capture.eventsOf(outside.runId)[0]).not.toHaveProperty('request_id');
  });
});
