import { Controller, Injectable, Param, Post, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AgentLlm, AgentLoggingConfigError, AgentRun, AgentTool, BudgetExceededError } from 'nestjs-agent-logging';
import { bootApp, capture } from '../support/boot';
import { expectWellFormedRun, runsIn } from '../support/engine-harness';

/** A Chat Completions answer using `prompt` + `completion` tokens. */
const completion = (prompt: number, completion: number) => ({
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'ok' } }],
  usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
});

@Injectable()
class Model {
  @AgentLlm({ model: 'gpt-4o-mini' })
  async complete(tokens: { prompt: number; completion: number }) {
    return completion(tokens.prompt, tokens.completion);
  }
  @AgentLlm({ model: 'local-llama' })
  async local(tokens: { prompt: number; completion: number }) {
    return completion(tokens.prompt, tokens.completion);
  }
  /**
   * A streamed answer in the Chat Completions chunk shape: a content chunk,
   * then the usage chunk (`stream_options.include_usage`), then it waits for
   * `release` before it ends, as a stream still being read does.
   */
  @AgentLlm({ model: 'gpt-4o-mini' })
  async *stream(release: Promise<void>) {
    yield { model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'Hel' } }] };
    yield { model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 150, completion_tokens: 20, total_tokens: 170 } };
    await release;
    yield { model: 'gpt-4o-mini', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
  }
}

@Injectable()
class Tools {
  @AgentTool('search')
  async search(_args: { q: string }) {
    return 'found';
  }
}

const small = { prompt: 40, completion: 20 };
/** $0.40 input + $0.20 output at { input: 1, output: 2 } USD per million tokens. */
const pricey = { prompt: 400_000, completion: 100_000 };

@Injectable()
class Agents {
  constructor(
    private readonly model: Model,
    private readonly tools: Tools,
  ) {}

  /** Three model calls of 60 tokens against the module's 100: the third is refused, and the body lets the error out. */
  @AgentRun('spender')
  async spender() {
    for (let i = 0; i < 3; i++) await this.model.complete(small);
  }
  /** The same, catching the refusal and answering with what it has. */
  @AgentRun('graceful')
  async graceful() {
    try {
      for (let i = 0; i < 3; i++) await this.model.complete(small);
    } catch (err) {
      const e = err as BudgetExceededError;
      // Every later step is refused too, a tool call included.
      const tool = await this.tools.search({ q: 'x' }).then(() => 'ran', (t: unknown) => (t instanceof BudgetExceededError ? 'refused' : 'failed'));
      return { name: e.name, limit: e.limit, budget: e.budget, spent: e.spent, stopReason: e.stopReason, tool };
    }
  }
  @AgentRun({ name: 'own_budget', maxTokens: 1000 })
  async ownBudget() {
    for (let i = 0; i < 3; i++) await this.model.complete(small);
    return { within: true };
  }
  /** Reads the streamed answer; once its usage chunk arrived, and before the stream ends, calls a tool. */
  @AgentRun('streaming')
  async streaming() {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const chunks = this.model.stream(released)[Symbol.asyncIterator]();
    await chunks.next();
    await chunks.next();
    const tool = await this.tools.search({ q: 'while streaming' }).then(() => 'ran', (e: unknown) => (e instanceof BudgetExceededError ? `refused at ${e.spent}` : 'failed'));
    release();
    while (!(await chunks.next()).done);
    return { tool };
  }
  @AgentRun({ name: 'costly', maxCostUsd: 1, maxTokens: 10_000_000 })
  async costly() {
    const spent: string[] = [];
    try {
      for (let i = 0; i < 3; i++) spent.push(String((await this.model.complete(pricey)).usage.total_tokens));
    } catch (err) {
      const e = err as BudgetExceededError;
      return { calls: spent.length, limit: e.limit, spent: e.spent };
    }
    return { calls: spent.length };
  }
  /** An unpriced model costs nothing as far as maxCostUsd knows. */
  @AgentRun({ name: 'unpriced', maxCostUsd: 1, maxTokens: 10_000_000 })
  async unpriced() {
    for (let i = 0; i < 3; i++) await this.model.local(pricey);
    return { done: true };
  }
}

@Controller()
class AgentController {
  constructor(private readonly agents: Agents) {}
  @Post(':name')
  async run(@Param('name') name: string) {
    const method = name.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase()) as keyof Agents;
    try {
      return await (this.agents[method] as () => Promise<unknown>).call(this.agents);
    } catch (err) {
      return { threw: (err as Error).name };
    }
  }
}

const metadata = { controllers: [AgentController], providers: [Model, Tools, Agents] };
const lastRun = () => [...runsIn(capture.events).values()].at(-1)!;

describe('budgets, through the real module (maxTokens 100, prices)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({ agentLogging: { maxTokens: 100, prices: { 'gpt-4o-mini': { input: 1, output: 2 } } }, metadata });
  });
  afterAll(() => app.close());
  beforeEach(() => capture.clear());
  const run = async (name: string) => (await request(app.getHttpServer()).post(`/${name}`).expect(201)).body as unknown;

  it('refuses the step begun once the run has spent its tokens; the run ends budget_exceeded with the error it threw', async () => {
    expect(await run('spender')).toEqual({ threw: 'BudgetExceededError' });
    const finished = expectWellFormedRun(lastRun());
    expect(finished).toMatchObject({
      status: 'error',
      stop_reason: 'budget_exceeded',
      total_steps: 2,
      llm_calls: 2,
      token_usage: { input_tokens: 80, output_tokens: 40, total_tokens: 120 },
      error_class: 'BudgetExceededError',
    });
  });

  it('ends budget_exceeded also when the body catches the refusal and answers; every later step is refused too', async () => {
    expect(await run('graceful')).toEqual({ name: 'BudgetExceededError', limit: 'maxTokens', budget: 100, spent: 120, stopReason: 'budget_exceeded', tool: 'refused' });
    expect(expectWellFormedRun(lastRun())).toMatchObject({ status: 'ok', stop_reason: 'budget_exceeded', total_steps: 2 });
  });

  it("takes the run's own maxTokens over the module's", async () => {
    expect(await run('own_budget')).toEqual({ within: true });
    expect(lastRun().at(-1)).toMatchObject({ stop_reason: 'completed', total_steps: 3 });
  });

  it('counts a streamed answer\'s usage as it arrives: a tool called before the stream ends is refused', async () => {
    expect(await run('streaming')).toEqual({ tool: 'refused at 170' });
    const events = lastRun();
    const finished = expectWellFormedRun(events);
    // Counted once: the stream's final usage replaced what it counted while streaming.
    expect(events.find((e) => e.event === 'llm_result')).toMatchObject({ status: 'ok', token_usage: { total_tokens: 170 } });
    expect(finished).toMatchObject({ stop_reason: 'budget_exceeded', total_steps: 1, token_usage: { total_tokens: 170 } });
  });

  it('refuses by cost with maxCostUsd and the price table: $0.60 a call, $1 a run', async () => {
    expect(await run('costly')).toEqual({ calls: 2, limit: 'maxCostUsd', spent: expect.closeTo(1.2, 9) });
    expect(lastRun().at(-1)).toMatchObject({ stop_reason: 'budget_exceeded', total_steps: 2 });
  });

  it('costs nothing for a model without a price', async () => {
    expect(await run('unpriced')).toEqual({ done: true });
    expect(lastRun().at(-1)).toMatchObject({ stop_reason: 'completed', total_steps: 3 });
  });
});

describe('budgets unasked and misconfigured', () => {
  it('refuses nothing by default', async () => {
    const app = await bootApp({ metadata });
    try {
      capture.clear();
      await request(app.getHttpServer()).post('/spender').expect(201, {});
      expect(lastRun().at(-1)).toMatchObject({ stop_reason: 'completed', total_steps: 3 });
    } finally {
      await app.close();
    }
  });

  it('warns once and ignores a run\'s maxCostUsd when the module has no prices', async () => {
    // Jest hands the test a copy of `process` whose 'warning' events never fire: watch emitWarning itself.
    const emitWarning = jest.spyOn(process, 'emitWarning');
    const app = await bootApp({ metadata });
    try {
      capture.clear();
      expect((await request(app.getHttpServer()).post('/costly').expect(201)).body).toEqual({ calls: 3 });
      await request(app.getHttpServer()).post('/costly').expect(201);
      const calls = emitWarning.mock.calls.filter(([, options]) => (options as { code?: string } | undefined)?.code === 'AGENT_LOGGING_NO_PRICES');
      expect(calls.map(([message]) => message)).toEqual([
        'nestjs-agent-logging: @AgentRun("costly") sets maxCostUsd but AgentLoggingModule has no "prices"; the cost limit is ignored',
      ]);
    } finally {
      emitWarning.mockRestore();
      await app.close();
    }
  });

  it.each([
    [{ maxCostUsd: 1 }, /option "maxCostUsd" needs "prices"/],
    [{ maxTokens: -3 }, /option "maxTokens" must be a positive integer, got -3/],
    [{ maxCostUsd: Number.NaN, prices: {} }, /option "maxCostUsd" must be a number above 0, got NaN/],
    [{ prices: { 'gpt-4o': { input: 1 } } }, /option "prices" must be a price table \(model "gpt-4o" needs numbers "input" and "output"/],
  ])('fails the boot on %j', async (options, message) => {
    await expect(bootApp({ agentLogging: options as never })).rejects.toThrow(message);
  });

  it.each([
    [{ name: 'b', maxTokens: 0 }, /@AgentRun\("b"\) maxTokens must be a positive integer, got 0/],
    [{ name: 'b', maxCostUsd: Infinity }, /@AgentRun\("b"\) maxCostUsd must be a number above 0, got Infinity/],
  ])('refuses the run options %j when the class is defined', (options, message) => {
    expect(() => AgentRun(options)({}, 'm', { value: () => undefined })).toThrow(AgentLoggingConfigError);
    expect(() => AgentRun(options)({}, 'm', { value: () => undefined })).toThrow(message);
  });
});
