import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AgentLlm, AgentRun, AgentTool, withAgentRun } from 'nestjs-agent-logging';
import { expectWellFormedRun, installEngine, runsIn, tick } from '../support/engine-harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The shape of an SDK's stream object (OpenAI's and Anthropic's `Stream`): an async iterable class with methods. */
class SdkStream<T> {
  readonly controller = new AbortController();
  constructor(private readonly chunks: T[]) {}
  async *[Symbol.asyncIterator]() {
    for (const chunk of this.chunks) {
      await sleep(5);
      yield chunk;
    }
  }
  tee() {
    return 'tee';
  }
}

const CHUNKS = [
  { choices: [{ delta: { content: 'Hel' } }] },
  { choices: [{ delta: { content: 'lo' }, finish_reason: 'stop' }] },
  { choices: [], usage: { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 } },
];

class Client {
  // `await client.chat.completions.create({ stream: true })` resolves to the stream itself.
  @AgentLlm('gpt-4o-mini')
  async create() {
    await sleep(1);
    return new SdkStream(CHUNKS);
  }

  @AgentTool('lookup')
  async lookup(q: string) {
    return { q };
  }

  @AgentRun('streamer')
  async answer() {
    const tools = this;
    return {
      async *[Symbol.asyncIterator]() {
        yield await tools.lookup('inside the stream');
      },
    };
  }
}

describe('a Promise that resolves to a stream', () => {
  let harness: ReturnType<typeof installEngine>;
  beforeEach(() => {
    harness = installEngine();
  });
  afterEach(() => harness.uninstall());

  it('keeps a model step open until the stream it resolved to ends, reading usage from its chunks', async () => {
    const client = new Client();
    let text = '';
    const run = withAgentRun('chat', async () => {
      const stream = await client.create();
      expect(stream).toBeInstanceOf(SdkStream); // instanceof and the SDK's own methods still work
      expect((stream as SdkStream<unknown>).tee()).toBe('tee');
      for await (const chunk of stream as AsyncIterable<(typeof CHUNKS)[number]>) text += chunk.choices[0]?.delta.content ?? '';
    });
    await run();
    await tick();
    expect(text).toBe('Hello');
    const events = [...runsIn(harness.capture.events).values()][0];
    expectWellFormedRun(events);
    const llm = events.find((e) => e.event === 'llm_result')!;
    expect(llm).toMatchObject({ status: 'ok', finish_reason: 'stop', token_usage: { input_tokens: 11, output_tokens: 2, total_tokens: 13 } });
    expect(llm.latency_ms as number).toBeGreaterThanOrEqual(14); // three chunks of 5 ms, not just the time to the stream
  });

  it('keeps a run open until the stream it resolved to ends, so steps taken while it is read belong to it', async () => {
    const stream = await new Client().answer();
    await tick();
    expect(harness.capture.events.map((e) => e.event)).toEqual(['run_started']);
    const items: unknown[] = [];
    for await (const item of stream) items.push(item);
    await tick();
    expect(items).toEqual([{ q: 'inside the stream' }]);
    const events = [...runsIn(harness.capture.events).values()][0];
    expect(events.map((e) => e.event)).toEqual(['run_started', 'agent_step', 'tool_call', 'tool_result', 'run_finished']);
    expect(expectWellFormedRun(events)).toMatchObject({ status: 'ok', stop_reason: 'completed', tool_calls: 1 });
  });
});

/** An SDK's Promise subclass: extra methods, and for a paginated list, async iteration of its own. */
class ApiPromise<T> extends Promise<T> {
  withResponse() {
    return this.then((data) => ({ data, response: { status: 200 } }));
  }
  async *[Symbol.asyncIterator]() {
    yield* [1, 2, 3];
  }
}

class Sdk {
  // Not async: the SDK's own Promise passed straight through, the usual shape.
  @AgentLlm('gpt-4o-mini')
  create(): Promise<{ model: string }> {
    return new ApiPromise((resolve) => setTimeout(() => resolve({ model: 'gpt-4o-mini' }), 2));
  }

  @AgentTool('download')
  async download(): Promise<Readable> {
    return Readable.from(['a', 'b']);
  }

  @AgentRun('pipes')
  async pipes(): Promise<Readable> {
    return Readable.from(['x']);
  }
}

describe('what a Promise-returning method gives back', () => {
  let harness: ReturnType<typeof installEngine>;
  beforeEach(() => {
    harness = installEngine();
  });
  afterEach(() => harness.uninstall());

  it('keeps a Promise subclass\'s class and methods, while awaiting it is observed', async () => {
    const sdk = new Sdk();
    const run = withAgentRun('sdk', async () => {
      const promise = sdk.create();
      expect(promise).toBeInstanceOf(ApiPromise);
      expect(await (promise as ApiPromise<{ model: string }>).withResponse()).toEqual({ data: { model: 'gpt-4o-mini' }, response: { status: 200 } });
      const pages: number[] = [];
      for await (const page of promise as unknown as AsyncIterable<number>) pages.push(page);
      expect(pages).toEqual([1, 2, 3]);
      return promise;
    });
    expect(await run()).toEqual({ model: 'gpt-4o-mini' });
    await tick();
    const events = [...runsIn(harness.capture.events).values()][0];
    expectWellFormedRun(events);
    expect(events.find((e) => e.event === 'llm_result')).toMatchObject({ status: 'ok', model: 'gpt-4o-mini' });
  });

  it('ends a tool at its Promise even when it resolves to a stream, and never holds a run for a Node stream', async () => {
    const sdk = new Sdk();
    const chunks: string[] = [];
    await withAgentRun('downloads', async () => {
      const stream = await sdk.download();
      await new Promise((resolve) => stream.on('data', (c: string) => chunks.push(c)).on('end', resolve));
    })();
    const piped = await sdk.pipes();
    piped.resume(); // read some other way than for await: the run must not wait for an iteration that never comes
    await tick(5);
    expect(chunks).toEqual(['a', 'b']);
    expect(harness.engine.runsInFlight).toBe(0);
    const runs = [...runsIn(harness.capture.events).values()];
    expect(runs.map((r) => expectWellFormedRun(r).status)).toEqual(['ok', 'ok']);
    expect(runs[0].find((e) => e.event === 'tool_result')).toMatchObject({ status: 'ok' });
  });
});

describe('a rejection nobody handles', () => {
  it('still raises unhandledRejection with the very error, as it would undecorated', () => {
    // A real process: Node's unhandled-rejection tracking is what is under test, and Jest installs its own.
    const script = `
      require('reflect-metadata');
      const { NestFactory } = require('@nestjs/core');
      const { Module } = require('@nestjs/common');
      const lib = require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'cjs', 'index.js'))});
      const pino = require('pino');
      class AppModule {}
      Module({ imports: [lib.AgentLoggingModule.forRoot({ logger: pino({ level: 'silent' }) })] })(AppModule);
      const boom = new Error('nobody awaited me');
      const tool = lib.withAgentTool('fire_and_forget', async () => { throw boom; });
      const run = lib.withAgentRun('forgetful', async () => { tool(); await new Promise((r) => setTimeout(r, 20)); });
      process.on('unhandledRejection', (reason) => { console.log(reason === boom ? 'same error' : 'other error'); process.exit(0); });
      NestFactory.createApplicationContext(AppModule, { logger: false }).then(() => run()).then(() => { console.log('none'); process.exit(0); });
    `;
    const child = spawnSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8', timeout: 20_000 });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('same error');
  });
});
