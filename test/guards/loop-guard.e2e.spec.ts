import { Controller, Injectable, Param, Post, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AgentGuardError, AgentLlm, AgentLoggingConfigError, AgentRun, AgentTool, LoopDetectedError } from 'nestjs-agent-logging';
import { bootApp, capture } from '../support/boot';
import { expectWellFormedRun, runsIn } from '../support/engine-harness';

@Injectable()
class Tools {
  /** Results jitter (a timestamp, a random score): the guard compares arguments, never results. */
  @AgentTool('search')
  async search(args: { q: string }) {
    return { q: args.q, score: Math.random(), at: Date.now() };
  }
  @AgentTool({ name: 'poll_status', loopGuard: false })
  async pollStatus(args: { job: string }) {
    return { job: args.job, done: false };
  }
  @AgentTool({ name: 'fetch_page', loopGuard: { consecutive: 5 } })
  async fetchPage(args: { url: string }) {
    return args.url.length;
  }
  /** Not async, but declared to return a Promise: a refusal must reject, not throw. */
  @AgentTool('lookup')
  lookup(args: { id: string }): Promise<string> {
    return Promise.resolve(args.id);
  }
}

@Injectable()
class Model {
  @AgentLlm({ model: 'gpt-4o-mini' })
  async complete(_prompt: string) {
    return { choices: [{ finish_reason: 'tool_calls' }], usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 } };
  }
}

const repeat = async (times: number, call: (i: number) => Promise<unknown>) => {
  for (let i = 0; i < times; i++) await call(i);
};

@Injectable()
class Agents {
  constructor(
    private readonly tools: Tools,
    private readonly model: Model,
  ) {}

  @AgentRun('same_search')
  async sameSearch() {
    await repeat(5, () => this.tools.search({ q: 'where is my order?' }));
    return 'done';
  }
  @AgentRun('thinking_between')
  async thinkingBetween() {
    // The model answers with the same tool call each turn: model steps do not break the streak.
    await repeat(3, async () => {
      await this.model.complete('next?');
      await this.tools.search({ q: 'refund policy' });
    });
  }
  @AgentRun('varied')
  async varied() {
    await repeat(6, (i) => this.tools.search({ q: `page ${i}` }));
  }
  @AgentRun({ name: 'refusing', loopGuard: { mode: 'refuse' } })
  async refusing() {
    await repeat(3, () => this.tools.search({ q: 'stuck' }));
    try {
      await this.tools.search({ q: 'stuck' });
      return { refused: false };
    } catch (err) {
      // A different call still goes ahead: only the looping signature is refused.
      await this.tools.search({ q: 'something else' });
      const e = err as LoopDetectedError;
      return { refused: true, name: e.name, guard: e instanceof AgentGuardError, tool: e.tool, argsHash: e.argsHash, repeats: e.repeats, message: e.message };
    }
  }
  @AgentRun({ name: 'refused_shape', loopGuard: { mode: 'refuse', consecutive: 2 } })
  async refusedShape() {
    await this.tools.lookup({ id: 'a' });
    await this.tools.lookup({ id: 'a' });
    let threw = false;
    let pending: Promise<string> | undefined;
    try {
      pending = this.tools.lookup({ id: 'a' });
    } catch {
      threw = true;
    }
    const rejected = await pending?.then(() => false, (err: unknown) => err instanceof LoopDetectedError);
    return { threw, rejected };
  }
  @AgentRun({ name: 'polling', loopGuard: { mode: 'refuse' } })
  async polling() {
    await repeat(10, () => this.tools.pollStatus({ job: 'j-1' }));
    return 'polled';
  }
  @AgentRun('search_while_polling')
  async searchWhilePolling() {
    // The exempt tool is not seen by the guard: the searches around it still repeat in a row.
    await repeat(3, async () => {
      await this.tools.search({ q: 'status page' });
      await this.tools.pollStatus({ job: 'j-2' });
    });
  }
  @AgentRun('patient_fetch')
  async patientFetch() {
    await repeat(5, () => this.tools.fetchPage({ url: 'https://example.test/a' }));
  }
  @AgentRun({ name: 'unguarded', loopGuard: false })
  async unguarded() {
    await repeat(5, () => this.tools.search({ q: 'again' }));
  }
  @AgentRun({ name: 'alternating', loopGuard: { window: 6, windowRepeats: 3 } })
  async alternating() {
    for (const q of ['a', 'b', 'a', 'b', 'a']) await this.tools.search({ q });
  }
}

@Controller()
class AgentController {
  constructor(private readonly agents: Agents) {}
  /** POST /same_search runs sameSearch. */
  @Post(':name')
  run(@Param('name') name: string) {
    const method = name.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase()) as keyof Agents;
    return (this.agents[method] as () => Promise<unknown>).call(this.agents);
  }
}

const metadata = { controllers: [AgentController], providers: [Tools, Model, Agents] };
const lastRun = () => [...runsIn(capture.events).values()].at(-1)!;
const loopsOf = (events: ReturnType<typeof lastRun>) => events.filter((e) => e.event === 'loop_detected');

describe('the loop guard, module on (warn, 3 in a row)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({ agentLogging: { loopGuard: true }, metadata });
  });
  afterAll(() => app.close());
  beforeEach(() => capture.clear());

  const run = async (name: string) => (await request(app.getHttpServer()).post(`/${name}`).expect(201)).body as unknown;

  it('writes one loop_detected, at warn level on the third identical call, and lets the run go on', async () => {
    expect(await run('same_search')).toEqual({});
    const events = lastRun();
    const finished = expectWellFormedRun(events);
    expect(finished).toMatchObject({ status: 'ok', stop_reason: 'completed', total_steps: 5 });
    const calls = events.filter((e) => e.event === 'tool_call');
    const [loop, ...more] = loopsOf(events);
    expect(more).toEqual([]);
    expect(loop).toMatchObject({ level: 40, tool: 'search', args_hash: calls[2].args_hash, repeats: 3, rule: 'consecutive', action: 'warned', step_index: 3 });
    // On the span of the step that completed the pattern, right after its tool_call.
    expect(loop.span_id).toBe(calls[2].span_id);
    expect(loop.seq).toBe((calls[2].seq as number) + 1);
  });

  it('counts tool calls only: the model call between two identical tool calls does not break the streak', async () => {
    await run('thinking_between');
    expect(loopsOf(lastRun())).toMatchObject([{ tool: 'search', repeats: 3, step_index: 6 }]);
  });

  it('sees nothing in calls whose arguments differ', async () => {
    await run('varied');
    expect(loopsOf(lastRun())).toEqual([]);
  });

  it('in mode refuse, refuses the next such call with LoopDetectedError; the run ends loop_detected', async () => {
    const body = (await run('refusing')) as Record<string, unknown>;
    const events = lastRun();
    const finished = expectWellFormedRun(events);
    const calls = events.filter((e) => e.event === 'tool_call');
    expect(body).toEqual({
      refused: true, name: 'LoopDetectedError', guard: true, tool: 'search', argsHash: calls[0].args_hash, repeats: 4,
      // Three calls ran; `repeats` (and the message) count the refused fourth too, as they would a refused fifth.
      message: 'agent "refusing" asked for tool "search" with the same arguments 4 times, this call and any refused before it included; the call was refused',
    });
    // The refused call is no step: three searches, then the different one.
    expect(calls.map((c) => c.step_index)).toEqual([1, 2, 3, 4]);
    expect(finished).toMatchObject({ status: 'ok', stop_reason: 'loop_detected', total_steps: 4, tool_calls: 4 });
    const [warned, refused] = loopsOf(events);
    expect(warned).toMatchObject({ action: 'warned', repeats: 3, step_index: 3 });
    expect(refused).toMatchObject({ action: 'refused', repeats: 4, rule: 'consecutive', tool: 'search', args_hash: calls[0].args_hash, span_id: events[0].span_id });
    expect(refused).not.toHaveProperty('step_index');
  });

  it('refuses in the shape the method is declared in: a non-async method typed Promise rejects', async () => {
    expect(await run('refused_shape')).toEqual({ threw: false, rejected: true });
    expect(lastRun().at(-1)).toMatchObject({ stop_reason: 'loop_detected' });
  });

  it('exempts a polling tool (loopGuard: false), even in mode refuse', async () => {
    expect(await run('polling')).toEqual({});
    const events = lastRun();
    expect(loopsOf(events)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ stop_reason: 'completed', tool_calls: 10 });
  });

  it('does not let an exempt tool hide a loop around it', async () => {
    await run('search_while_polling');
    expect(loopsOf(lastRun())).toMatchObject([{ tool: 'search', repeats: 3, step_index: 5 }]);
  });

  it('takes a tool\'s own threshold: fetch_page is a loop at 5, not 3', async () => {
    await run('patient_fetch');
    expect(loopsOf(lastRun())).toMatchObject([{ tool: 'fetch_page', repeats: 5, step_index: 5 }]);
  });

  it('is off for a run that says loopGuard: false', async () => {
    await run('unguarded');
    expect(loopsOf(lastRun())).toEqual([]);
  });

  it('with a window, sees a call repeated among others: a b a b a is a loop of a', async () => {
    await run('alternating');
    const events = lastRun();
    const calls = events.filter((e) => e.event === 'tool_call');
    expect(loopsOf(events)).toMatchObject([{ rule: 'window', repeats: 3, step_index: 5, args_hash: calls[0].args_hash }]);
  });
});

describe('the loop guard, module off', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({ agentLogging: { hashMaxBytes: 256 }, metadata: { controllers: [GuardedController, AgentController], providers: [Tools, Model, Agents, Guarded] } });
  });
  afterAll(() => app.close());
  beforeEach(() => capture.clear());

  it('writes nothing unasked: a logger does not change behaviour by default', async () => {
    await request(app.getHttpServer()).post('/same_search').expect(201);
    expect(loopsOf(lastRun())).toEqual([]);
  });

  it('is on for a run that asks for it', async () => {
    await request(app.getHttpServer()).post('/guarded/on').expect(201);
    expect(loopsOf(lastRun())).toMatchObject([{ repeats: 3 }]);
  });

  it('fails open for a call whose arguments were too big to hash whole (args_truncated), and for that call only', async () => {
    const res = await request(app.getHttpServer()).post('/guarded/truncated').expect(201);
    expect(res.body).toEqual({ refusedAt: 4 });
    const events = lastRun();
    const calls = events.filter((e) => e.event === 'tool_call');
    // Two big calls went ahead unseen; the small calls around them still made a streak.
    expect(calls.map((c) => c.args_truncated ?? false)).toEqual([false, true, true, false, false]);
    expect(loopsOf(events)).toMatchObject([
      { action: 'warned', step_index: 5, repeats: 3 },
      { action: 'refused', repeats: 4 },
    ]);
  });
});

@Injectable()
class Guarded {
  constructor(private readonly tools: Tools) {}
  @AgentRun({ name: 'guarded', loopGuard: true })
  async on() {
    await repeat(3, () => this.tools.search({ q: 'x' }));
  }
  @AgentRun({ name: 'guarded_truncated', loopGuard: { mode: 'refuse' } })
  async truncated() {
    const big = { q: 'x'.repeat(1000) };
    await this.tools.search({ q: 'small' });
    await this.tools.search(big);
    await this.tools.search(big);
    await this.tools.search({ q: 'small' });
    await this.tools.search({ q: 'small' });
    try {
      await this.tools.search({ q: 'small' });
      return { refusedAt: null };
    } catch {
      return { refusedAt: 4 };
    }
  }
}

@Controller('guarded')
class GuardedController {
  constructor(private readonly guarded: Guarded) {}
  @Post('on')
  on() {
    return this.guarded.on();
  }
  @Post('truncated')
  truncated() {
    return this.guarded.truncated();
  }
}

describe('loop guard options are checked where they are given', () => {
  it.each([
    ['consecutive below 2', () => AgentRun({ loopGuard: { consecutive: 1 } }), /@AgentRun\("[\w.]+"\) loopGuard must be an object whose "consecutive" is an integer from 2 to 1000/],
    ['a window without windowRepeats', () => AgentRun({ name: 'w', loopGuard: { window: 5 } }), /both "window" and "windowRepeats"/],
    ['windowRepeats above the window', () => AgentRun({ name: 'w', loopGuard: { window: 3, windowRepeats: 4 } }), /"windowRepeats" is at most its "window"/],
    ['an unknown mode', () => AgentRun({ name: 'w', loopGuard: { mode: 'block' as never } }), /"mode" is "warn" or "refuse"/],
    ['a window on a tool', () => AgentTool({ name: 't', loopGuard: { window: 5 } as never }), /@AgentTool\("t"\) loopGuard must be an object without "window".*the window is the run's/],
    ['true on a tool', () => AgentTool({ name: 't', loopGuard: true as never }), /false \(exempt\) or an object/],
  ])('refuses %s when the class is defined', (_what, make, message) => {
    const define = () => {
      class Holder {
        method() {
          return undefined;
        }
      }
      make()(Holder.prototype, 'method', Object.getOwnPropertyDescriptor(Holder.prototype, 'method')!);
    };
    expect(define).toThrow(AgentLoggingConfigError);
    expect(define).toThrow(message);
  });

  it('fails the boot on a bad module loopGuard, naming it', async () => {
    await expect(bootApp({ agentLogging: { loopGuard: { mode: 'warn', consecutive: 0 } } })).rejects.toThrow(
      /option "loopGuard" must be an object whose "consecutive" is an integer from 2 to 1000/,
    );
  });
});
