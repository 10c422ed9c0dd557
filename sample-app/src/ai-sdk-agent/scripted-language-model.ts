import type { LanguageModelV4, LanguageModelV4CallOptions, LanguageModelV4GenerateResult, LanguageModelV4Prompt } from '@ai-sdk/provider';

const tokens = (text: string) => Math.ceil(text.length / 4);

/**
 * A deterministic stand-in for a chat model (no network), written as an AI
 * SDK provider model (`LanguageModelV4`) so `generateText` runs its real
 * loop on it: it asks for `find_order` when the question names an order,
 * then answers from the tool's result, and keeps asking when told to keep checking.
 */
export class ScriptedLanguageModel implements LanguageModelV4 {
  readonly specificationVersion = 'v4';
  readonly provider = 'scripted.chat';
  readonly modelId = 'scripted-gpt-4o-mini';
  readonly supportedUrls = {};
  private calls = 0;

  async doGenerate({ prompt }: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
    await new Promise((resolve) => setTimeout(resolve, 15)); // model latency
    const question = textOf(prompt, 'user');
    const results = prompt.filter((m) => m.role === 'tool').flatMap((m) => m.content);
    const order = /order\s+([A-Z]-\d+)/i.exec(question)?.[1]?.toUpperCase();
    const ask = order && (results.length === 0 || /keep checking/i.test(question));
    const input = tokens(JSON.stringify(prompt));
    const id = `scripted-${++this.calls}`;
    if (ask) {
      const call = { type: 'tool-call' as const, toolCallId: `call_${this.calls}`, toolName: 'find_order', input: JSON.stringify({ orderId: order }) };
      return this.result(id, [call], { unified: 'tool-calls', raw: 'tool_calls' }, input, tokens(call.input));
    }
    const last = results.at(-1);
    const found = last && last.type === 'tool-result' && 'value' in last.output ? JSON.stringify(last.output.value) : undefined;
    const text = found ? `Here is what I found: ${found}` : 'How can I help?';
    return this.result(id, [{ type: 'text', text }], { unified: 'stop', raw: 'stop' }, input, tokens(text));
  }

  doStream(): never {
    throw new Error('ScriptedLanguageModel answers with doGenerate only');
  }

  private result(id: string, content: LanguageModelV4GenerateResult['content'], finishReason: LanguageModelV4GenerateResult['finishReason'], input: number, output: number): LanguageModelV4GenerateResult {
    return {
      content,
      finishReason,
      usage: {
        inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: undefined },
        outputTokens: { total: output, text: output, reasoning: undefined },
      },
      response: { id, modelId: 'scripted-gpt-4o-mini-2024-07-18', timestamp: new Date() },
      warnings: [],
    };
  }
}

function textOf(prompt: LanguageModelV4Prompt, role: 'user'): string {
  const message = prompt.find((m) => m.role === role);
  return message ? message.content.map((part) => (part.type === 'text' ? part.text : '')).join('') : '';
}
