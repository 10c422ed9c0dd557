import { Injectable, type INestApplication } from '@nestjs/common';
import { AgentLlm, AgentRun, type TokenUsage } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';

@Injectable()
class Models {
  @AgentLlm('claude-sonnet')
  async anthropic() {
    return { type: 'message', stop_reason: 'end_turn', usage: { input_tokens: 10, output_tokens: 4, cache_read_input_tokens: 100, cache_creation_input_tokens: 5 } };
  }

  @AgentLlm({ model: 'vercel-model' })
  async vercel() {
    return { finishReason: 'stop', usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10 } };
  }

  @AgentLlm({ model: 'house-model', tokenUsage: (r) => ({ input_tokens: (r as { cost: number[] }).cost[0], output_tokens: (r as { cost: number[] }).cost[1], total_tokens: 99 }) })
  async house() {
    return { cost: [1, 2] };
  }

  /** No model option: the response's own model name is used. */
  @AgentLlm()
  async unnamed() {
    return { model: 'gpt-4o-2024-08-06', usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
  }

  @AgentLlm('no-usage')
  async silent() {
    return 'just text';
  }

  @AgentRun('multi-model')
  async run() {
    await this.anthropic();
    await this.vercel();
    await this.house();
    await this.unnamed();
    await this.silent();
  }
}

async function runAll(app: INestApplication) {
  capture.clear();
  await app.get(Models).run();
  await settleLogs();
  return capture.events;
}

describe('token usage', () => {
  let app: INestApplication;
  afterEach(() => app.close());

  it('reads each provider shape, names the model, and sums usage into run_finished', async () => {
    app = await bootApp({ metadata: { providers: [Models] } });
    const events = await runAll(app);
    const results = events.filter((e) => e.event === 'llm_result');
    expect(results.map((e) => [e.model, e.token_usage, e.finish_reason])).toEqual([
      ['claude-sonnet', { input_tokens: 115, output_tokens: 4, total_tokens: 119, cache_read_tokens: 100, cache_creation_tokens: 5 }, 'end_turn'],
      ['vercel-model', { input_tokens: 7, output_tokens: 3, total_tokens: 10 }, 'stop'],
      ['house-model', { input_tokens: 1, output_tokens: 2, total_tokens: 99 }, undefined],
      ['gpt-4o-2024-08-06', { input_tokens: 1, output_tokens: 1, total_tokens: 2 }, undefined],
      ['no-usage', undefined, undefined],
    ]);
    expect(events.at(-1)).toMatchObject({
      event: 'run_finished', llm_calls: 5,
      token_usage: { input_tokens: 124, output_tokens: 10, total_tokens: 230, cache_read_tokens: 100, cache_creation_tokens: 5 },
      // 'no-usage' answered without reporting any: the sum is short, and says so.
      token_usage_partial: true,
    });
  });

  it('uses the module-wide extractor where a method has none, and survives one that throws', async () => {
    const extractor = (r: unknown): TokenUsage | undefined => {
      if (typeof r === 'string') throw new Error('not my shape');
      return { input_tokens: 5, output_tokens: 5, total_tokens: 10 };
    };
    app = await bootApp({ agentLogging: { tokenUsage: extractor }, metadata: { providers: [Models] } });
    const events = await runAll(app);
    const usages = events.filter((e) => e.event === 'llm_result').map((e) => (e.token_usage as TokenUsage | undefined)?.total_tokens);
    expect(usages).toEqual([10, 10, 99, 10, undefined]);
    expect(events.at(-1)).toMatchObject({ status: 'ok', stop_reason: 'completed' });
  });
});

/** The other shapes each provider ships, with their detail counters, and a user extractor returning junk. */
@Injectable()
class MoreModels {
  @AgentLlm('gpt-4o')
  async openAiWithDetails() {
    return {
      choices: [{ finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 100, completion_tokens: 40, total_tokens: 140,
        prompt_tokens_details: { cached_tokens: 60 }, completion_tokens_details: { reasoning_tokens: 10 },
      },
    };
  }

  @AgentLlm('o4-mini')
  async openAiResponses() {
    return { usage: { input_tokens: 300, output_tokens: 20, input_tokens_details: { cached_tokens: 100 }, output_tokens_details: { reasoning_tokens: 8 } } };
  }

  @AgentLlm('vercel-v4')
  async vercelV4() {
    return { finishReason: 'length', usage: { promptTokens: 4, completionTokens: 6 } };
  }

  /** A Vercel AI SDK multi-step result: totalUsage covers every step, usage only the last. */
  @AgentLlm('vercel-steps')
  async vercelSteps() {
    return { usage: { inputTokens: 1, outputTokens: 1 }, totalUsage: { inputTokens: 9, outputTokens: 9, cachedInputTokens: 3 } };
  }

  @AgentLlm('claude-failing')
  async failing() {
    throw new Error('overloaded');
  }

  @AgentLlm({ model: 'junk-reader', tokenUsage: () => ({ input_tokens: '5', output_tokens: 2.9, total_tokens: -1, prompt: 'SECRET-PROMPT' }) as never })
  async junk() {
    return {};
  }

  @AgentRun('more-models')
  async run() {
    await this.openAiWithDetails();
    await this.openAiResponses();
    await this.vercelV4();
    await this.vercelSteps();
    await this.failing().catch(() => undefined);
    await this.junk();
  }
}

describe('token usage: detail counters, failures and junk', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({ metadata: { providers: [MoreModels] } });
  });
  afterAll(() => app.close());

  it('normalises each shape, writes only counts from a user extractor, and sums every counter once', async () => {
    capture.clear();
    await app.get(MoreModels).run();
    await settleLogs();
    const results = capture.events.filter((e) => e.event === 'llm_result');
    expect(results.map((e) => [e.model, e.status, e.token_usage])).toEqual([
      ['gpt-4o', 'ok', { input_tokens: 100, output_tokens: 40, total_tokens: 140, cache_read_tokens: 60, reasoning_tokens: 10 }],
      ['o4-mini', 'ok', { input_tokens: 300, output_tokens: 20, total_tokens: 320, cache_read_tokens: 100, reasoning_tokens: 8 }],
      ['vercel-v4', 'ok', { input_tokens: 4, output_tokens: 6, total_tokens: 10 }],
      ['vercel-steps', 'ok', { input_tokens: 9, output_tokens: 9, total_tokens: 18, cache_read_tokens: 3 }],
      ['claude-failing', 'error', undefined],
      // '5' is not a count, so the input is unknown: absent, never 0, and so is the total; 2.9 is floored; the extra field is dropped.
      ['junk-reader', 'ok', { output_tokens: 2 }],
    ]);
    expect(capture.events.at(-1)).toMatchObject({
      event: 'run_finished', status: 'ok', llm_calls: 6, errors: 1,
      token_usage: { input_tokens: 413, output_tokens: 77, total_tokens: 488, cache_read_tokens: 163, reasoning_tokens: 18 },
      // junk-reader's input is unknown; the failed call is not counted as missing usage.
      token_usage_partial: true,
    });
    expect(capture.raw).not.toContain('SECRET-PROMPT');
  });
});
