import { Injectable } from '@nestjs/common';
import { AgentLlm } from 'nestjs-agent-logging';
import type { ChatCompletion, ChatCompletionChunk, ChatMessage, ToolCall } from './chat.types.js';

const tokens = (text: string) => Math.ceil(text.length / 4);

/**
 * A deterministic stand-in for a chat model (no network): it reads the
 * conversation and answers the way a tool-calling model would, in the OpenAI
 * response shape, so the library reads its token usage like a real one's.
 */
@Injectable()
export class ScriptedModelService {
  private calls = 0;

  @AgentLlm({ model: 'scripted-gpt-4o-mini' })
  async complete(messages: ChatMessage[]): Promise<ChatCompletion> {
    await new Promise((resolve) => setTimeout(resolve, 15)); // model latency
    const question = messages.find((m) => m.role === 'user')?.content ?? '';
    const toolResults = messages.filter((m) => m.role === 'tool');
    const call = this.nextToolCall(question, toolResults.length);
    const prompt = messages.map((m) => ('content' in m && m.content) || '').join('\n');
    const content = call ? null : this.answer(toolResults.map((m) => m.content));
    const completion = tokens(content ?? JSON.stringify(call));
    return {
      id: `chatcmpl-${++this.calls}`,
      model: 'scripted-gpt-4o-mini-2024-07-18',
      choices: [{ index: 0, finish_reason: call ? 'tool_calls' : 'stop', message: { role: 'assistant', content, tool_calls: call ? [call] : undefined } }],
      usage: { prompt_tokens: tokens(prompt), completion_tokens: completion, total_tokens: tokens(prompt) + completion },
    };
  }

  /** The streaming variant: an async generator of chunks, the last one with usage. */
  @AgentLlm({ model: 'scripted-gpt-4o-mini' })
  async *stream(messages: ChatMessage[]): AsyncGenerator<ChatCompletionChunk> {
    const results = messages.filter((m) => m.role === 'tool').map((m) => m.content);
    const words = this.answer(results).split(' ');
    const model = 'scripted-gpt-4o-mini-2024-07-18';
    for (const word of words) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      yield { model, choices: [{ index: 0, delta: { content: `${word} ` }, finish_reason: null }] };
    }
    const prompt = tokens(messages.map((m) => ('content' in m && m.content) || '').join('\n'));
    yield { model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: prompt, completion_tokens: words.length, total_tokens: prompt + words.length } };
  }

  private nextToolCall(question: string, done: number): ToolCall | undefined {
    const call = (name: string, args: object): ToolCall => ({
      id: `call_${this.calls}_${done}`,
      type: 'function',
      function: { name, arguments: JSON.stringify(args) },
    });
    const order = /order\s+([A-Z]-\d+)/i.exec(question)?.[1];
    // A runaway: the same search again and again (the loop guard warns on the third), until maxSteps stops it.
    if (/keep searching/i.test(question)) return call('search_docs', { query: question });
    if (done === 0 && order) return call('lookup_order', { orderId: order.toUpperCase() });
    if (done === 1 && order && /refund/i.test(question)) return call('create_refund', { orderId: order.toUpperCase(), reason: question });
    if (done === 0) return call('search_docs', { query: question });
    return undefined;
  }

  private answer(results: string[]): string {
    return results.length ? `Here is what I found: ${results.at(-1)}` : 'How can I help?';
  }
}
