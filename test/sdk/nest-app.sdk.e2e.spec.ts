import Anthropic from '@anthropic-ai/sdk';
import { Controller, Get, Injectable, Sse, type INestApplication, type MessageEvent } from '@nestjs/common';
import { AgentLlm, AgentRun } from 'nestjs-agent-logging';
import OpenAI from 'openai';
import { defer, from, map, mergeMap, type Observable } from 'rxjs';
import request from 'supertest';
import { bootApp, capture, settleLogs } from '../support/boot';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider';

let provider: FakeProvider;

/** The way a NestJS service uses the SDKs: decorated methods that return the SDK's own objects. */
@Injectable()
class Models {
  readonly openai = new OpenAI({ apiKey: 'sk-test', baseURL: provider.openaiBaseURL, maxRetries: 0 });
  readonly anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: provider.anthropicBaseURL, maxRetries: 0 });

  @AgentLlm()
  plan(question: string) {
    return this.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: question }] });
  }

  @AgentLlm()
  answer(plan: string) {
    return this.anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: plan }] });
  }

  @AgentLlm()
  streamed(question: string) {
    return this.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: question }], stream: true, stream_options: { include_usage: true } });
  }
}

@Injectable()
class Agent {
  constructor(private readonly models: Models) {}

  @AgentRun('support')
  async ask(question: string): Promise<string> {
    const plan = await this.models.plan(question);
    return this.models.answer(plan.choices[0]!.message.content ?? '').finalText();
  }

  /** The answer relayed to the browser as it streams: the run ends with the SSE stream. */
  @AgentRun('support-stream')
  relay(question: string): Observable<MessageEvent> {
    return defer(() => this.models.streamed(question)).pipe(
      mergeMap((stream) => from(stream)),
      map((chunk) => ({ data: chunk.choices[0]?.delta.content ?? '' })),
    );
  }
}

@Controller()
class AskController {
  constructor(private readonly agent: Agent) {}

  @Get('ask')
  ask(): Promise<string> {
    return this.agent.ask('refund order 42?');
  }

  @Sse('ask/stream')
  stream(): Observable<MessageEvent> {
    return this.agent.relay('refund order 42?');
  }
}

describe('a Nest app calling the real SDKs', () => {
  let app: INestApplication;
  beforeAll(async () => {
    provider = await startFakeProvider();
    app = await bootApp({ metadata: { controllers: [AskController], providers: [Models, Agent] } });
  });
  afterAll(async () => {
    await app.close();
    await provider.close();
  });

  it('one run, two model calls, each with the usage, model, ids and finish reason its provider sent', async () => {
    capture.clear();
    provider.script('openai.chat', { text: 'check the refund policy', model: 'gpt-4o-mini-2024-07-18', usage: { input: 40, output: 6 }, requestId: 'req_plan' });
    provider.script('anthropic.messages', { text: ['Refund ', 'approved'], model: 'claude-sonnet-4-5-20250929', usage: { input: 900, output: 12, cacheRead: 800 }, requestId: 'req_answer' });
    const res = await request(app.getHttpServer()).get('/ask').expect(200);
    expect(res.text).toBe('Refund approved');
    await settleLogs();
    const llm = capture.events.filter((e) => e.event === 'llm_result');
    expect(llm).toEqual([
      expect.objectContaining({ status: 'ok', provider: 'openai', model: 'gpt-4o-mini-2024-07-18', provider_request_id: 'req_plan', finish_reason: 'stop', token_usage: { input_tokens: 40, output_tokens: 6, total_tokens: 46, cache_read_tokens: 0, reasoning_tokens: 0 } }),
      expect.objectContaining({ status: 'ok', provider: 'anthropic', model: 'claude-sonnet-4-5-20250929', provider_request_id: 'req_answer', finish_reason: 'end_turn', token_usage: { input_tokens: 900, output_tokens: 12, total_tokens: 912, cache_read_tokens: 800, cache_creation_tokens: 0 } }),
    ]);
    expect(capture.events.find((e) => e.event === 'run_finished')).toMatchObject({ status: 'ok', llm_calls: 2, token_usage: { input_tokens: 940, output_tokens: 18 } });
  });

  it('an SSE endpoint relaying a streamed answer: the browser gets every chunk, the run ends with the stream', async () => {
    capture.clear();
    provider.script('openai.chat', { text: ['Refund ', 'approved'], usage: { input: 20, output: 2 }, chunkDelayMs: 10 });
    const res = await request(app.getHttpServer()).get('/ask/stream').expect(200);
    const data = res.text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6));
    expect(data.join('')).toBe('Refund approved');
    await settleLogs();
    expect(capture.events.find((e) => e.event === 'llm_result')).toMatchObject({ status: 'ok', provider: 'openai', token_usage: { input_tokens: 20, output_tokens: 2 } });
    expect(capture.events.find((e) => e.event === 'run_finished')).toMatchObject({ status: 'ok', stop_reason: 'completed' });
  });
});
