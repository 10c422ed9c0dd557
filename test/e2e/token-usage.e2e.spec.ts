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
