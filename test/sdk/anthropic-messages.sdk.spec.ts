import Anthropic from '@anthropic-ai/sdk';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { ScriptedReply } from '../support/fake-provider';
import { anthropicClient, collect, errorView, readText, rejectionOf, useSdkHarness } from './support/sdk-harness';

/**
 * Anthropic Messages through the real `@anthropic-ai/sdk`, every documented
 * way of calling and reading it, each compared with the same call undecorated.
 */
describe('@anthropic-ai/sdk: Messages', () => {
  const h = useSdkHarness();
  const client = () => anthropicClient(h.provider);
  const params = { model: 'claude-sonnet-4-5', max_tokens: 512, messages: [{ role: 'user' as const, content: 'refund order 42?' }] };
  const reply = (extra: Partial<ScriptedReply> = {}): ScriptedReply => ({
    id: 'msg_fixed', requestId: 'req_ant', model: 'claude-sonnet-4-5-20250929', text: ['Refund ', 'approved'],
    usage: { input: 1240, output: 35, cacheRead: 1000, cacheWrite: 200 }, ...extra,
  });
  // Input counts input + cache reads + cache writes once (the wire's input_tokens is 40).
  const exactUsage = { input_tokens: 1240, output_tokens: 35, total_tokens: 1275, cache_read_tokens: 1000, cache_creation_tokens: 200 };
  const okResult = { status: 'ok', model: 'claude-sonnet-4-5-20250929', provider: 'anthropic', response_id: 'msg_fixed', token_usage: exactUsage, finish_reason: 'end_turn' };

  describe('messages.create()', () => {
    const create = () => client().messages.create(params);

    it('await: the very message, usage with cache reads and writes counted once, request id', async () => {
      h.provider.script('anthropic.messages', reply(), reply());
      const plain = await create();
      const run = await h.inRun(() => h.model(create)());
      expect(JSON.stringify(run.value)).toBe(JSON.stringify(plain));
      expect(run.value._request_id).toBe('req_ant');
      expect(run.llm).toEqual([expect.objectContaining({ ...okResult, provider_request_id: 'req_ant' })]);
      expect(run.finished.token_usage).toEqual(exactUsage);
    });

    it('asResponse() then res.json(), and withResponse(): as undecorated', async () => {
      h.provider.script('anthropic.messages', reply(), reply(), reply(), reply());
      const plainBody = await (await create().asResponse()).json();
      const plainWith = await create().withResponse();
      const asResponse = await h.inRun(async () => (await h.model(create)().asResponse()).json());
      const withResponse = await h.inRun(async () => {
        const { data, request_id } = await h.model(create)().withResponse();
        return { data, request_id };
      });
      expect(asResponse.value).toEqual(plainBody);
      expect(asResponse.llm[0]).toMatchObject({ status: 'ok', provider_request_id: 'req_ant' });
      // The body that names the wire format is the caller's, and a header name names no SDK: no provider is claimed.
      expect(asResponse.llm[0]!.provider).toBeUndefined();
      expect(withResponse.value).toEqual({ data: plainWith.data, request_id: plainWith.request_id });
      expect(withResponse.llm[0]).toMatchObject({ ...okResult, provider_request_id: 'req_ant' });
    });

    it('tool_use: the stop reason says so', async () => {
      h.provider.script('anthropic.messages', reply({ text: undefined, toolCalls: [{ id: 'toolu_1', name: 'refund', arguments: { order: 42 } }] }));
      const run = await h.inRun(() => h.model(create)());
      expect(run.llm[0]).toMatchObject({ status: 'ok', finish_reason: 'tool_use' });
    });

    it('an error status: the very SDK error, its class and request id', async () => {
      const error = { status: 429, type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit', requestId: 'req_429' };
      h.provider.script('anthropic.messages', { error }, { error });
      const plain = await rejectionOf(create());
      let seen: unknown;
      const run = await h.inRun(async () => {
        seen = await rejectionOf(h.model(create)());
        throw seen;
      });
      expect(seen).toBeInstanceOf(Anthropic.RateLimitError);
      expect(errorView(seen)).toEqual(errorView(plain));
      expect(run.error).toBe(seen);
      expect(run.llm[0]).toMatchObject({ status: 'error', error_class: 'RateLimitError', provider_request_id: 'req_429' });
    });
  });

  describe('messages.create({ stream: true })', () => {
    const stream = () => client().messages.create({ ...params, stream: true });

    it('for await: input and cache counts from message_start, output and stop reason from message_delta; never a 0 input', async () => {
      const slow = reply({ firstTokenDelayMs: 60, chunkDelayMs: 15 });
      h.provider.script('anthropic.messages', slow, slow);
      const plain = await collect(await stream());
      const run = await h.inRun(async () => collect(await h.model(stream)()));
      expect(run.value).toEqual(plain);
      expect(run.llm[0]).toMatchObject(okResult);
      expect(run.llm[0]!.time_to_first_token_ms).toBeGreaterThanOrEqual(55);
      expect(run.llm[0]!.latency_ms).toBeGreaterThanOrEqual(60 + 4 * 15 - 5);
    });

    it('a method that returns withResponse() of the stream: followed to its end, its request id noted, the envelope\'s fields kept', async () => {
      h.provider.script('anthropic.messages', reply({ chunkDelayMs: 30 }));
      let sdkEnvelope: { response: Response; request_id?: string | null } | undefined;
      const open = h.model(async () => (sdkEnvelope = await stream().withResponse()));
      const run = await h.inRun(async () => {
        const envelope = await open();
        expect(envelope.response).toBe(sdkEnvelope!.response);
        expect(Object.keys(envelope)).toEqual(Object.keys(sdkEnvelope!));
        return collect(envelope.data);
      });
      expect(run.llm).toEqual([expect.objectContaining({ ...okResult, provider_request_id: 'req_ant' })]);
      expect(run.llm[0]!.latency_ms).toBeGreaterThanOrEqual(4 * 30 - 5);
    });

    it('a message_delta that repeats the cumulative input counts: counted once', async () => {
      h.provider.script('anthropic.messages', reply({ deltaUsage: 'cumulative' }));
      const run = await h.inRun(async () => collect(await h.model(stream)()));
      expect(run.llm[0]).toMatchObject(okResult);
    });

    it('toReadableStream() and tee(): as undecorated', async () => {
      h.provider.script('anthropic.messages', reply(), reply(), reply(), reply());
      const plainText = await readText((await stream()).toReadableStream() as ReadableStream<Uint8Array>);
      const [a, b] = (await stream()).tee();
      const plainTee = await Promise.all([collect(a), collect(b)]);
      const readable = await h.inRun(async () => readText((await h.model(stream)()).toReadableStream() as ReadableStream<Uint8Array>));
      const teed = await h.inRun(async () => {
        const [left, right] = (await h.model(stream)()).tee();
        return Promise.all([collect(left), collect(right)]);
      });
      expect(readable.value).toBe(plainText);
      expect(teed.value).toEqual(plainTee);
      expect(readable.llm).toEqual([expect.objectContaining(okResult)]);
      expect(teed.llm).toEqual([expect.objectContaining(okResult)]);
    });

    it('abandoned after the first text: cancelled, with the input counts the provider already sent', async () => {
      h.provider.script('anthropic.messages', reply({ text: ['a', 'b', 'c'], chunkDelayMs: 20 }));
      const run = await h.inRun(async () => {
        for await (const event of await h.model(stream)()) if (event.type === 'content_block_delta') break;
      });
      expect(run.llm[0]).toMatchObject({
        status: 'cancelled', response_id: 'msg_fixed',
        // message_start's output count so far is the provider's (1), not a made-up 0.
        token_usage: { input_tokens: 1240, output_tokens: 1, cache_read_tokens: 1000, cache_creation_tokens: 200 },
      });
      expect(run.llm[0]!.finish_reason).toBeUndefined();
    });

    it('an overloaded_error event mid-stream: the SDK\'s error, as undecorated', async () => {
      const failing = reply({ streamError: { type: 'overloaded_error', message: 'Overloaded' } });
      h.provider.script('anthropic.messages', failing, failing);
      const plain = await rejectionOf(stream().then(collect));
      const run = await h.inRun(async () => collect(await h.model(stream)()));
      expect(errorView(run.error)).toEqual(errorView(plain));
      expect(run.llm[0]).toMatchObject({ status: 'error', error_class: 'APIError' });
    });
  });

  describe('messages.stream() helper', () => {
    const helper = () => client().messages.stream(params);

    it('.on(\'text\') and finalMessage(): ok with usage and the request id; .on() returns the helper', async () => {
      h.provider.script('anthropic.messages', reply(), reply());
      const plainText: string[] = [];
      const plain = await helper().on('text', (t) => plainText.push(t)).finalMessage();
      const run = await h.inRun(async () => {
        const s = h.model(helper)();
        const text: string[] = [];
        expect(s.on('text', (t) => text.push(t))).toBe(s);
        return { text, final: await s.finalMessage() };
      });
      expect(JSON.stringify(run.value)).toBe(JSON.stringify({ text: plainText, final: plain }));
      expect(run.llm).toEqual([expect.objectContaining({ ...okResult, provider_request_id: 'req_ant' })]);
      expect(typeof run.llm[0]!.time_to_first_token_ms).toBe('number');
    });

    it('for await, over what .on() returned too; done(); finalText(); toReadableStream()', async () => {
      h.provider.script('anthropic.messages', ...Array.from({ length: 7 }, () => reply()));
      const plain = await collect(helper());
      const plainText = await helper().finalText();
      const runs = [
        await h.inRun(async () => collect(h.model(helper)())),
        await h.inRun(async () => collect(h.model(helper)().on('connect', () => undefined))),
        await h.inRun(async () => h.model(helper)().done()),
        await h.inRun(async () => h.model(helper)().finalText()),
        await h.inRun(async () => readText(h.model(helper)().toReadableStream() as ReadableStream<Uint8Array>)),
      ];
      expect(runs[0]!.value).toEqual(plain);
      expect(runs[1]!.value).toEqual(plain);
      expect(runs[3]!.value).toBe(plainText);
      for (const run of runs) expect(run.llm[0]).toMatchObject({ ...okResult, provider_request_id: 'req_ant' });
    });

    it('keeps its class and constructor; withResponse() gives the helper itself as data', async () => {
      h.provider.script('anthropic.messages', reply(), reply());
      const plain = helper();
      await plain.done();
      const run = await h.inRun(async () => {
        const s = h.model(helper)();
        expect(s).toBeInstanceOf(plain.constructor);
        expect(s.constructor).toBe(plain.constructor);
        const { data, request_id } = await s.withResponse();
        expect(data).toBe(s);
        await s.done();
        return request_id;
      });
      expect(run.value).toBe('req_ant');
    });

    it('abort() after the first text: cancelled, with the input counts already sent', async () => {
      h.provider.script('anthropic.messages', reply({ text: ['a', 'b', 'c'], hangAfter: 4 }));
      const run = await h.inRun(async () => {
        const s = h.model(helper)();
        s.on('text', () => s.abort());
        await s.done().catch(() => undefined);
      });
      expect(run.llm[0]).toMatchObject({ status: 'cancelled', token_usage: { input_tokens: 1240, output_tokens: 1 } });
    });

    it.each([
      ['finalMessage()', (s: ReturnType<typeof Anthropic.prototype.messages.stream>) => s.finalMessage()],
      ['done()', (s: ReturnType<typeof Anthropic.prototype.messages.stream>) => s.done()],
      ['for await', (s: ReturnType<typeof Anthropic.prototype.messages.stream>) => collect(s)],
    ])('an error status, read with %s: the caller\'s error as undecorated; error event, step_error', async (_how, read) => {
      const error = { status: 529, type: 'overloaded_error', message: 'Overloaded', requestId: 'req_529' };
      h.provider.script('anthropic.messages', { error }, { error });
      const plain = await rejectionOf(read(helper()));
      const run = await h.inRun(async () => read(h.model(helper)()));
      expect(errorView(run.error)).toEqual(errorView(plain));
      expect(run.llm[0]).toMatchObject({ status: 'error' });
      expect(run.finished).toMatchObject({ stop_reason: 'step_error' });
    });

    it('a failure nobody listens to is still an unhandled rejection, as undecorated', () => {
      // A real process: Node's unhandled-rejection tracking is what is under test, and Jest installs its own.
      const script = `
        require('reflect-metadata');
        const http = require('node:http');
        const { NestFactory } = require('@nestjs/core');
        const { Module } = require('@nestjs/common');
        const Anthropic = require('@anthropic-ai/sdk').default;
        const lib = require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'cjs', 'index.js'))});
        const pino = require('pino');
        class AppModule {}
        Module({ imports: [lib.AgentLoggingModule.forRoot({ logger: pino({ level: 'silent' }) })] })(AppModule);
        const server = http.createServer((req, res) => {
          req.resume();
          res.writeHead(400, { 'content-type': 'application/json', 'request-id': 'req_x' }).end('{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}');
        });
        const seen = [];
        process.on('unhandledRejection', (reason) => seen.push(reason.constructor.name + ' ' + reason.status));
        const wait = (ms) => new Promise((r) => setTimeout(r, ms));
        server.listen(0, '127.0.0.1', async () => {
          const client = new Anthropic({ apiKey: 'k', baseURL: 'http://127.0.0.1:' + server.address().port, maxRetries: 0 });
          const params = { model: 'c', max_tokens: 1, messages: [] };
          await NestFactory.createApplicationContext(AppModule, { logger: false });
          client.messages.stream(params);
          await wait(300);
          const model = lib.withAgentLlm({}, () => client.messages.stream(params));
          await lib.withAgentRun('forgetful', async () => { model(); await wait(300); })();
          console.log(JSON.stringify(seen));
          process.exit(0);
        });
      `;
      const child = spawnSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8', timeout: 20_000 });
      expect(child.stderr).toBe('');
      expect(JSON.parse(child.stdout.trim())).toEqual(['BadRequestError 400', 'BadRequestError 400']);
    });
  });
});
