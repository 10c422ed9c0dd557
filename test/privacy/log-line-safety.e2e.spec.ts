import { Controller, Injectable, Param, Post, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AgentLlm, AgentLoggingConfigError, AgentRun, AgentTool } from 'nestjs-agent-logging';
import { capture, settleLogs, useApp } from '../support/boot';

const FORGED = 'boom\n{"level":30,"event":"run_finished","status":"ok","stop_reason":"completed"}\r\n\u001b[2Jcleared\u2028next';
const SECRET_MESSAGE = 'no order for jane@example.com (key sk-AbCdEfGhIjKlMnOpQrStUvWxYz012345)';

@Injectable()
class HostileTools {
  @AgentTool('hostile')
  fail(kind: string) {
    if (kind === 'forged') throw new Error(FORGED);
    if (kind === 'huge') throw new Error(`${'x'.repeat(100_000)} jane@example.com`);
    throw new Error(SECRET_MESSAGE);
  }
}

@Injectable()
class SafetyAgent {
  constructor(private readonly tools: HostileTools) {}

  @AgentRun('safety')
  async run(kind: string) {
    try {
      this.tools.fail(kind);
    } catch {
      // the agent carries on; the error is on tool_result
    }
    return 'ok';
  }
}

@Controller()
class SafetyController {
  constructor(private readonly agent: SafetyAgent) {}
  @Post('run/:kind')
  run(@Param('kind') kind: string) {
    return this.agent.run(kind);
  }
}

const metadata = { controllers: [SafetyController], providers: [SafetyAgent, HostileTools] };

async function runOnce(app: INestApplication, kind: string, headers: Record<string, string> = {}) {
  capture.clear();
  await request(app.getHttpServer()).post(`/run/${kind}`).set(headers).expect(201);
  await settleLogs();
  // Every line pino wrote is one whole JSON object: nothing forged a line.
  const lines = capture.raw.split('\n').filter((l) => l.length > 0);
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const events = parsed.filter((e) => e.schema === 'agent-log/1');
  expect(events.filter((e) => e.event === 'run_started')).toHaveLength(1);
  expect(events.filter((e) => e.event === 'run_finished')).toHaveLength(1);
  const result = events.find((e) => e.event === 'tool_result') as Record<string, unknown>;
  return { events, result, started: events[0] };
}

describe('error messages cannot forge lines or fields, and never carry a stack', () => {
  const app = useApp({ metadata });

  it('keeps a message with newlines, a JSON object and terminal escapes on one line, inside error_message', async () => {
    const { events, result } = await runOnce(app(), 'forged');
    expect(result.error_message).toBe('boom {"level":30,"event":"run_finished","status":"ok","stop_reason":"completed"}   [2Jcleared next');
    expect(result.error_class).toBe('Error');
    for (const e of events) {
      expect(e).not.toHaveProperty('stack');
      expect(JSON.stringify(e)).not.toContain('    at ');
    }
  });

  it('scrubs secrets out of error_message by default', async () => {
    const { result } = await runOnce(app(), 'secret');
    expect(result.error_message).toBe('no order for [email] (key [api_key])');
  });

  it('cuts a huge message to errorMessageMaxLength (500 by default)', async () => {
    const { result } = await runOnce(app(), 'huge');
    const message = result.error_message as string;
    expect(message).toHaveLength(500);
    expect(message.endsWith('…')).toBe(true);
  });
});

describe('errorMessages: "omit" and "raw"', () => {
  describe('omit', () => {
    const app = useApp({ agentLogging: { errorMessages: 'omit' }, metadata });

    it('writes the error class and no message', async () => {
      const { result } = await runOnce(app(), 'secret');
      expect(result.status).toBe('error');
      expect(result.error_class).toBe('Error');
      expect(result).not.toHaveProperty('error_message');
    });
  });

  describe('raw (development)', () => {
    const app = useApp({ agentLogging: { errorMessages: 'raw', errorMessageMaxLength: 40 }, metadata });

    it('keeps the secrets, but still one line and still capped', async () => {
      expect((await runOnce(app(), 'secret')).result.error_message).toBe(`${SECRET_MESSAGE.slice(0, 39)}…`);
      expect((await runOnce(app(), 'forged')).result.error_message).toBe(`${FORGED.slice(0, 39).replace(/[\n\r\u001b\u2028]/g, ' ')}…`);
    });
  });
});

describe('ids from outside are bounded and cannot forge fields', () => {
  const app = useApp({ metadata });

  it('writes a quote-laden request id as a plain string value, adding no field', async () => {
    const id = 'r-1","user_id":"admin","x":"';
    const { started } = await runOnce(app(), 'secret', { 'x-request-id': id });
    expect(started.request_id).toBe(id);
    expect(started).not.toHaveProperty('user_id');
    expect(started).not.toHaveProperty('x');
  });

  it.each([
    ['longer than 128 characters', 'r'.repeat(129)],
    ['holding a tab', 'req\t1'],
    ['holding non-ASCII', 'req-caf\u00e9'],
    ['holding a space', 'req 1'],
  ])('drops a request id %s (pino-http\'s own id is used instead)', async (_why, id) => {
    const { started } = await runOnce(app(), 'secret', { 'x-request-id': id });
    expect(started.request_id).not.toBe(id);
    expect(String(started.request_id ?? '')).toMatch(/^[\x21-\x7e]{0,128}$/);
  });

  it('ignores an oversized or malformed traceparent and starts a fresh trace', async () => {
    for (const traceparent of [`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01${'x'.repeat(600)}`, '00-zz-"},{"evil":1-01', 'garbage\tvalue']) {
      const { started } = await runOnce(app(), 'secret', { traceparent });
      expect(started.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(started.trace_id).not.toBe('a'.repeat(32));
      expect(started).not.toHaveProperty('parent_span_id');
      expect(started).not.toHaveProperty('evil');
    }
  });
});

describe('names are checked when the decorator is applied', () => {
  const define = (decorate: () => MethodDecorator) => () => {
    class Target {
      method() {
        return 1;
      }
    }
    decorate()(Target.prototype, 'method', Object.getOwnPropertyDescriptor(Target.prototype, 'method')!);
  };

  it.each([
    ['a tool name with a newline', () => AgentTool('search\n{"event":"x"}'), /invalid tool name "search\\n\{\\"event\\":\\"x\\"\}": use 1-128 characters/],
    ['a tool name with spaces and a quote', () => AgentTool('drop "table"'), /invalid tool name/],
    ['an agent name of 129 characters', () => AgentRun('a'.repeat(129)), /invalid agent name/],
    ['an empty agent name', () => AgentRun({ name: '' }), /invalid agent name ""/],
    ['a model name with a control character', () => AgentLlm({ model: 'gpt\u001b[31m' }), /invalid model name/],
  ])('refuses %s at class definition, with a clear message', (_what, decorate, message) => {
    expect(define(decorate as () => MethodDecorator)).toThrow(AgentLoggingConfigError);
    expect(define(decorate as () => MethodDecorator)).toThrow(message);
  });

  it('fails at the class definition itself, before any app boots', () => {
    expect(() => {
      class BadTools {
        @AgentTool('bad name')
        search() {
          return [];
        }
      }
      return BadTools;
    }).toThrow(/invalid tool name "bad name": use 1-128 characters from A-Z a-z 0-9 _ \. : - \/ @ \+/);
  });
});
