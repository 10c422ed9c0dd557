import { Body, Controller, Injectable, Post, type INestApplication } from '@nestjs/common';
import { lastValueFrom, of, toArray } from 'rxjs';
import request from 'supertest';
import { AgentLlm, AgentRun, AgentTool } from 'nestjs-agent-logging';
import { capture, settleLogs, useApp } from '../support/boot';
import type { LogLine } from '../support/log-capture';

const LONG_TRANSCRIPT = 'n'.repeat(5000);

@Injectable()
class CrmTools {
  @AgentTool('crm_lookup')
  lookup(args: { email: string; password: string; auth: { token: string }; transcript: string; order: string }) {
    return { found: true, owner: args.email, order: args.order };
  }

  @AgentTool('stream_rows')
  rows() {
    return of({ row: 1 }, { row: 2 });
  }
}

@Injectable()
class ChatModel {
  @AgentLlm('chat-model')
  complete(messages: { role: string; content: string }[]) {
    return {
      choices: [{ message: { content: `Reply sent to jane@example.com about: ${messages[0].content.slice(0, 20)}` }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 4 },
    };
  }
}

@Injectable()
class CaptureAgent {
  constructor(
    private readonly tools: CrmTools,
    private readonly model: ChatModel,
  ) {}

  @AgentRun('capture')
  async run(question: string) {
    this.model.complete([{ role: 'user', content: question }]);
    this.tools.lookup({ email: 'jane@example.com', password: 'hunter2', auth: { token: 'tok-123' }, transcript: LONG_TRANSCRIPT, order: 'order-981' });
    await lastValueFrom(this.tools.rows().pipe(toArray()));
    return 'done';
  }
}

@Controller()
class AskController {
  constructor(private readonly agent: CaptureAgent) {}
  @Post('ask')
  ask(@Body() body: { question: string }) {
    return this.agent.run(body.question);
  }
}

const metadata = { controllers: [AskController], providers: [CaptureAgent, CrmTools, ChatModel] };
const QUESTION = 'where is my refund? I am jane@example.com';
const CAPTURED = ['task', 'args', 'prompt', 'result', 'output'];

async function ask(app: INestApplication) {
  capture.clear();
  await request(app.getHttpServer()).post('/ask').send({ question: QUESTION }).expect(201);
  await settleLogs();
  const events = capture.events;
  const one = (event: string, where: (e: LogLine) => boolean = () => true) => {
    const found = events.filter((e) => e.event === event && where(e));
    expect(found).toHaveLength(1);
    return found[0];
  };
  return {
    events,
    started: one('run_started'),
    prompt: one('agent_step', (e) => e.step_type === 'llm_call'),
    output: one('llm_result'),
    call: one('tool_call', (e) => e.tool === 'crm_lookup'),
    result: one('tool_result', (e) => e.tool === 'crm_lookup'),
    streamed: one('tool_result', (e) => e.tool === 'stream_rows'),
  };
}

describe('capture: off by default', () => {
  const app = useApp({ metadata });

  it('writes hashes and no raw value at all', async () => {
    const { events, call } = await ask(app());
    for (const e of events) for (const field of CAPTURED) expect(e).not.toHaveProperty(field);
    expect(call.args_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(events)).not.toContain('refund');
  });
});

describe('capture: every kind on, with redact paths, scrubbing and a cap', () => {
  const app = useApp({
    agentLogging: {
      capture: { args: true, results: true, prompts: true, outputs: true, redact: ['password', '*.token'], maxLength: 300 },
      scrubPatterns: [/order-\d+/],
    },
    metadata,
  });

  it('writes the run task and the model prompt and output, scrubbed', async () => {
    const { started, prompt, output } = await ask(app());
    expect(started.task).toBe('"where is my refund? I am [email]"');
    expect(JSON.parse(prompt.prompt as string)).toEqual([{ role: 'user', content: 'where is my refund? I am [email]' }]);
    expect(output.output).toContain('Reply sent to [email] about: where is my refund');
    expect(started.task_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('writes tool args through pino redact paths, the scrubber (built-in and user patterns) and the cap', async () => {
    const { call } = await ask(app());
    const args = call.args as string;
    expect(args.length).toBeLessThanOrEqual(300);
    expect(args.endsWith('…')).toBe(true);
    expect(args).toContain('"auth":{"token":"[Redacted]"}');
    expect(args).toContain('"email":"[email]"');
    expect(args).toContain('"password":"[Redacted]"');
    expect(args).toContain('"order":"[redacted]"');
    expect(args).not.toMatch(/hunter2|tok-123|jane@|order-981/);
  });

  it('writes tool results, but nothing for a stream (its value is its items, not one result)', async () => {
    const { result, streamed } = await ask(app());
    expect(JSON.parse(result.result as string)).toEqual({ found: true, order: '[redacted]', owner: '[email]' });
    expect(streamed).not.toHaveProperty('result');
    expect(streamed.status).toBe('ok');
  });
});

describe('capture: only the kinds asked for', () => {
  const app = useApp({ agentLogging: { capture: { results: true } }, metadata });

  it('writes result and nothing else', async () => {
    const { events, result } = await ask(app());
    expect(result.result).toContain('"found":true');
    for (const e of events) for (const field of CAPTURED.filter((f) => f !== 'result')) expect(e).not.toHaveProperty(field);
  });
});
