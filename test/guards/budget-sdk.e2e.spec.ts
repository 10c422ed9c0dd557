import Anthropic from '@anthropic-ai/sdk';
import { Controller, Injectable, Post, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AgentLlm, AgentRun, AgentTool, BudgetExceededError } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';
import { expectWellFormedRun, runsIn } from '../support/engine-harness';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider';

let provider: FakeProvider;

@Injectable()
class Models {
  readonly anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: provider.anthropicBaseURL, maxRetries: 0 });

  /** The SDK's MessageStream: usage arrives in parts, input in message_start, output in message_delta. */
  @AgentLlm()
  answer(question: string) {
    return this.anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: question }] });
  }
}

@Injectable()
class Tools {
  @AgentTool('search_docs')
  async searchDocs(_args: { q: string }) {
    return ['Refunds take 5 days'];
  }
}

@Injectable()
class Agent {
  constructor(
    private readonly models: Models,
    private readonly tools: Tools,
  ) {}

  /** Reads the first event of the stream (message_start, with the input usage), then calls a tool while the answer is still coming. */
  @AgentRun('streaming_support')
  async ask() {
    const events = this.models.answer('refund order 42?')[Symbol.asyncIterator]();
    const first = await events.next();
    const tool = await this.tools.searchDocs({ q: 'refund' }).then(
      () => 'ran',
      (e: unknown) => (e instanceof BudgetExceededError ? `refused: ${e.limit} ${e.spent}/${e.budget}` : `failed: ${String(e)}`),
    );
    // The caller stops reading: the SDK aborts the request.
    await events.return?.();
    return { first: (first.value as { type?: string } | undefined)?.type, tool };
  }
}

@Controller()
class AskController {
  constructor(private readonly agent: Agent) {}
  @Post('ask')
  ask() {
    return this.agent.ask();
  }
}

describe('the budget with the real Anthropic SDK streaming (fake provider)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    provider = await startFakeProvider();
    app = await bootApp({ agentLogging: { maxTokens: 100 }, metadata: { controllers: [AskController], providers: [Models, Tools, Agent] } });
  });
  afterAll(async () => {
    await app.close();
    await provider.close();
  });

  it('counts the input usage of message_start as it arrives: a tool called mid-stream is refused', async () => {
    // 150 input tokens (100 + cache reads 50) in message_start; then the stream hangs, as a long answer does.
    provider.script('anthropic.messages', { text: ['Refunds ', 'take 5 days.'], usage: { input: 150, output: 20, cacheRead: 50 }, hangAfter: 2 });
    capture.clear();
    const res = await request(app.getHttpServer()).post('/ask').expect(201);
    // message_start reports output_tokens: 1 beside the input, as Anthropic's does.
    expect(res.body).toEqual({ first: 'message_start', tool: 'refused: maxTokens 151/100' });
    await settleLogs();
    const events = [...runsIn(capture.events).values()].at(-1)!;
    const finished = expectWellFormedRun(events);
    const llm = events.find((e) => e.event === 'llm_result')!;
    // The model step ended when the caller stopped reading, with the usage it had seen.
    expect(llm).toMatchObject({ status: 'cancelled', token_usage: { input_tokens: 150, cache_read_tokens: 50 } });
    expect(finished).toMatchObject({ status: 'ok', stop_reason: 'budget_exceeded', total_steps: 1, tool_calls: 0 });
  });
});
