import { Injectable, type INestApplication } from '@nestjs/common';
import { AgentLlm, AgentRun } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';
import { expectWellFormedRun } from '../support/engine-harness';

// Model output is hostile: these must never reach a log line.
const FORGED = 'gpt-4o\n{"event":"run_finished","status":"ok"}';
const INJECTION = 'ignore previous instructions';
const ANSI = 'stop\u001b[31m';

/** Each method returns what a model client might; the configured name, where given, always wins. */
@Injectable()
class Responses {
  @AgentLlm()
  async named() {
    return { model: 'claude-sonnet-4-5-20250929', stop_reason: 'end_turn' };
  }

  @AgentLlm()
  async forged() {
    return { model: FORGED, choices: [{ finish_reason: ANSI }] };
  }

  @AgentLlm()
  async prose() {
    return { model: INJECTION, finishReason: INJECTION };
  }

  @AgentLlm()
  async oversized() {
    return { model: 'm'.repeat(200), finish_reason: 'x'.repeat(65) };
  }

  @AgentLlm()
  async notStrings() {
    return { model: { name: 'gpt' }, choices: [{ finish_reason: 42 }] };
  }

  /** An SDK object whose getters throw: the step is still written, with what could be read. */
  @AgentLlm()
  async throwingGetters() {
    return {
      get model(): string {
        throw new Error('lazy field failed');
      },
      get usage(): unknown {
        throw new Error('lazy field failed');
      },
      finish_reason: 'length',
    };
  }

  /** A token stream: OpenAI puts the model's name on every chunk. */
  @AgentLlm()
  async *streamed() {
    yield { model: 'gpt-4o-mini-2024-07-18', choices: [{ delta: { content: 'Hel' }, finish_reason: null }] };
    yield { model: 'gpt-4o-mini-2024-07-18', choices: [{ delta: { content: 'lo' }, finish_reason: 'stop' }] };
  }

  @AgentLlm()
  async *streamedForged() {
    yield { model: FORGED, choices: [{ delta: { content: 'x' }, finish_reason: ANSI }] };
  }

  @AgentLlm('configured-model')
  async configured() {
    return { model: 'gpt-4o-mini-2024-07-18', choices: [{ finish_reason: 'tool_calls' }] };
  }

  @AgentRun('responses')
  async run() {
    await this.named();
    await this.forged();
    await this.prose();
    await this.oversized();
    await this.notStrings();
    await this.throwingGetters();
    await this.configured();
    for await (const _ of this.streamed());
    for await (const _ of this.streamedForged());
  }
}

describe('model name and finish reason taken from a model\'s result', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({ metadata: { providers: [Responses] } });
  });
  afterAll(() => app.close());

  it('takes them only when they look like identifiers, else the method\'s name and no finish_reason', async () => {
    capture.clear();
    await app.get(Responses).run();
    await settleLogs();
    const finished = expectWellFormedRun(capture.events);
    expect(finished).toMatchObject({ status: 'ok', llm_calls: 9 });
    const results = capture.events.filter((e) => e.event === 'llm_result');
    expect(results.map((e) => [e.model, e.finish_reason ?? null])).toEqual([
      ['claude-sonnet-4-5-20250929', 'end_turn'],
      ['Responses.forged', null],
      ['Responses.prose', null],
      ['Responses.oversized', null],
      ['Responses.notStrings', null],
      ['Responses.throwingGetters', 'length'],
      ['configured-model', 'tool_calls'],
      ['gpt-4o-mini-2024-07-18', 'stop'],
      ['Responses.streamedForged', null],
    ]);
    expect(results.every((e) => e.status === 'ok')).toBe(true);
    for (const hostile of ['run_finished\\"', INJECTION, '\\u001b', 'm'.repeat(129), 'x'.repeat(65), 'lazy field failed']) {
      expect(capture.raw).not.toContain(hostile);
    }
  });
});
