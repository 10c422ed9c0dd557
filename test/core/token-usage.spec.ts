import { readModelResult } from '../../src/core/providers';
import { addTokenUsage, extractTokenUsage, normalizeTokenUsage } from '../../src/core/token-usage';

const finishReasonOf = (result: unknown) => readModelResult(result).finishReason;

describe('token usage', () => {
  it('reads OpenAI Chat Completions usage, with cached and reasoning tokens', () => {
    expect(
      extractTokenUsage({
        usage: {
          prompt_tokens: 100, completion_tokens: 40, total_tokens: 140,
          prompt_tokens_details: { cached_tokens: 60 }, completion_tokens_details: { reasoning_tokens: 10 },
        },
      }),
    ).toEqual({ input_tokens: 100, output_tokens: 40, total_tokens: 140, cache_read_tokens: 60, reasoning_tokens: 10 });
  });

  it('reads Anthropic usage, counting cache reads and writes into input once', () => {
    expect(
      extractTokenUsage({ type: 'message', usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 200, cache_creation_input_tokens: 30 } }),
    ).toEqual({ input_tokens: 240, output_tokens: 5, total_tokens: 245, cache_read_tokens: 200, cache_creation_tokens: 30 });
  });

  it('reads OpenAI Responses usage, whose input already includes cached tokens', () => {
    expect(
      extractTokenUsage({ usage: { input_tokens: 300, output_tokens: 20, input_tokens_details: { cached_tokens: 100 }, output_tokens_details: { reasoning_tokens: 8 } } }),
    ).toEqual({ input_tokens: 300, output_tokens: 20, total_tokens: 320, cache_read_tokens: 100, reasoning_tokens: 8 });
  });

  it('reads Vercel AI SDK usage, v5 and v4 shapes, preferring totalUsage', () => {
    expect(extractTokenUsage({ usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10, cachedInputTokens: 2 } })).toEqual({
      input_tokens: 7, output_tokens: 3, total_tokens: 10, cache_read_tokens: 2,
    });
    expect(extractTokenUsage({ usage: { promptTokens: 4, completionTokens: 6 } })).toEqual({ input_tokens: 4, output_tokens: 6, total_tokens: 10 });
    expect(extractTokenUsage({ usage: { inputTokens: 1, outputTokens: 1 }, totalUsage: { inputTokens: 9, outputTokens: 9 } })?.total_tokens).toBe(18);
  });

  it.each([undefined, null, 'text', 42, {}, { usage: null }, { usage: { foo: 1 } }, { usage: { prompt_tokens: -5, completion_tokens: 'x' } }])(
    'gives nothing usable for %p without throwing',
    (value) => {
      const usage = extractTokenUsage(value);
      if (usage) for (const n of Object.values(usage)) expect(Number.isInteger(n) && n >= 0).toBe(true);
    },
  );

  it('survives a result whose getters throw', () => {
    const hostile = { get usage(): never { throw new Error('boom'); } };
    expect(extractTokenUsage(hostile)).toBeUndefined();
    expect(finishReasonOf(hostile)).toBeUndefined();
  });

  it('reads finish reasons from each provider shape', () => {
    expect(finishReasonOf({ choices: [{ finish_reason: 'stop' }] })).toBe('stop');
    expect(finishReasonOf({ stop_reason: 'end_turn' })).toBe('end_turn');
    expect(finishReasonOf({ finishReason: 'length' })).toBe('length');
    expect(finishReasonOf({ finishReason: 'stop\n{"forged":true}' })).toBeUndefined();
  });

  it('sums usage, keeping optional counters only where reported', () => {
    const a = { input_tokens: 1, output_tokens: 2, total_tokens: 3 };
    const b = { input_tokens: 10, output_tokens: 20, total_tokens: 30, cache_read_tokens: 5 };
    expect(addTokenUsage(addTokenUsage(undefined, a), b)).toEqual({ input_tokens: 11, output_tokens: 22, total_tokens: 33, cache_read_tokens: 5 });
  });

  it('leaves a count that is not reported absent, never 0, and a total only when it is known', () => {
    // Vercel AI SDK: every LanguageModelUsage field is number | undefined.
    expect(extractTokenUsage({ finishReason: 'stop', usage: { inputTokens: 10, outputTokens: undefined, totalTokens: undefined } })).toEqual({ input_tokens: 10 });
    expect(normalizeTokenUsage({ output_tokens: 2 })).toEqual({ output_tokens: 2 });
    expect(normalizeTokenUsage({ total_tokens: 9 })).toEqual({ total_tokens: 9 });
    expect(addTokenUsage({ input_tokens: 10 }, { input_tokens: 1, output_tokens: 2, total_tokens: 3 })).toEqual({ input_tokens: 11, output_tokens: 2, total_tokens: 3 });
    expect(addTokenUsage({ output_tokens: 4 }, { output_tokens: 1 })).toEqual({ output_tokens: 5 });
  });

  it('normalises what a custom extractor returns: counts only, never garbage', () => {
    expect(normalizeTokenUsage({ input_tokens: 3.7, output_tokens: 2, total_tokens: 'many', reasoning_tokens: -1, extra: 'x' })).toEqual({
      input_tokens: 3, output_tokens: 2, total_tokens: 5,
    });
    expect(normalizeTokenUsage({ input_tokens: 'x' })).toBeUndefined();
    expect(normalizeTokenUsage('ten')).toBeUndefined();
  });
});
