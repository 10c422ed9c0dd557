import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Injectable, Query, Sse, type INestApplication, type MessageEvent } from '@nestjs/common';
import { concatMap, from, map, type Observable } from 'rxjs';
import { AgentLlm, AgentRun, AgentTool } from 'nestjs-agent-logging';
import { bootApp, capture } from '../support/boot';
import { expectWellFormedRun, runsIn } from '../support/engine-harness';
import type { LogLine } from '../support/log-capture';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

@Injectable()
class StreamingModel {
  /** A model client's token stream: an async generator. */
  @AgentLlm('stream-model')
  async *tokens(count: number) {
    for (let i = 0; i < count; i++) {
      await sleep(5);
      yield { choices: [{ delta: { content: `w${i}` }, finish_reason: i === count - 1 ? 'stop' : null }] };
    }
  }
}

@Injectable()
class CiteTool {
  @AgentTool('cite')
  async cite(i: number) {
    await sleep(1);
    return `source-${i}`;
  }
}

@Controller('stream')
class StreamController {
  constructor(
    private readonly model: StreamingModel,
    private readonly tool: CiteTool,
  ) {}

  /** @AgentRun directly on an @Sse handler returning an Observable; a tool call per token inside the pipe. */
  @Sse('observable')
  @AgentRun('sse_observable')
  observable(@Query('n') n = '3'): Observable<MessageEvent> {
    return from(this.model.tokens(Number(n))).pipe(
      concatMap(async (chunk, i) => ({ token: chunk.choices[0].delta.content, source: await this.tool.cite(i) })),
      map((data) => ({ data })),
    );
  }

  /** An @AgentRun controller method returning an async generator, streamed by an @Sse handler. */
  @AgentRun('sse_generator')
  async *generate(n: number): AsyncGenerator<MessageEvent> {
    for (let i = 0; i < n; i++) {
      yield { data: { i, source: await this.tool.cite(i) } };
      await sleep(5);
    }
  }

  @Sse('generator')
  generator(@Query('n') n = '3'): Observable<MessageEvent> {
    return from(this.generate(Number(n)));
  }
}

/** Reads an SSE response over a real socket; with `disconnectAfter`, closes the connection after that many events. */
function readSse(app: INestApplication, path: string, disconnectAfter?: number): Promise<string[]> {
  const { port } = (app.getHttpServer() as http.Server).address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const events: string[] = [];
    let buffer = '';
    const req = http.get({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', 'x-request-id': 'req-sse' } }, (res) => {
      expect(res.headers['content-type']).toMatch(/text\/event-stream/);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data) events.push(data.slice(6));
        }
        if (disconnectAfter !== undefined && events.length >= disconnectAfter) {
          req.destroy(); // the user closes the tab
          resolve(events);
        }
      });
      res.on('end', () => resolve(events));
    });
    req.on('error', (err) => (disconnectAfter === undefined ? reject(err) : undefined));
  });
}

/** Waits until the run of `agent` has written its run_finished. */
async function runOf(agent: string): Promise<LogLine[]> {
  for (let i = 0; i < 200; i++) {
    const started = capture.events.find((e) => e.event === 'run_started' && e.agent === agent);
    if (started && capture.eventsOf(started.run_id as string).some((e) => e.event === 'run_finished')) {
      await sleep(30); // anything written late would show up now
      return runsIn(capture.events).get(started.run_id as string)!;
    }
    await sleep(10);
  }
  throw new Error(`no run_finished for ${agent}`);
}

describe('Nest handlers that stream (SSE over real HTTP)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({ metadata: { controllers: [StreamController], providers: [StreamingModel, CiteTool] } });
  });
  afterAll(() => app.close());
  beforeEach(() => capture.clear());

  it('an @AgentRun @Sse handler returning an Observable: the whole stream is one run, tool calls in the pipe belong to it', async () => {
    const events = await readSse(app, '/stream/observable?n=3');
    expect(events.map((e) => JSON.parse(e).token)).toEqual(['w0', 'w1', 'w2']);
    const run = await runOf('sse_observable');
    const finished = expectWellFormedRun(run);
    expect(finished).toMatchObject({ status: 'ok', stop_reason: 'completed', total_steps: 4, llm_calls: 1, tool_calls: 3 });
    expect(run[0]).toMatchObject({ request_id: 'req-sse' });
    expect(run.find((e) => e.event === 'llm_result')).toMatchObject({ status: 'ok', finish_reason: 'stop', step_index: 1 });
  });

  it('the client disconnecting mid-stream ends the run cancelled, and the open model stream with it', async () => {
    const events = await readSse(app, '/stream/observable?n=1000', 2);
    expect(events).toHaveLength(2);
    const run = await runOf('sse_observable');
    const finished = expectWellFormedRun(run);
    expect(finished).toMatchObject({ status: 'cancelled', stop_reason: 'cancelled', level: 30 });
    expect(run.find((e) => e.event === 'llm_result')).toMatchObject({ status: 'cancelled' });
    expect(finished.total_steps as number).toBeLessThan(200); // of the 2001 a full stream would take
  });

  it('an @AgentRun method returning an async generator, streamed to completion', async () => {
    const events = await readSse(app, '/stream/generator?n=3');
    expect(events.map((e) => JSON.parse(e).source)).toEqual(['source-0', 'source-1', 'source-2']);
    const finished = expectWellFormedRun(await runOf('sse_generator'));
    expect(finished).toMatchObject({ status: 'ok', stop_reason: 'completed', total_steps: 3, tool_calls: 3 });
  });

  it('the client disconnecting from the generator\'s stream abandons the iterator: cancelled', async () => {
    await readSse(app, '/stream/generator?n=1000', 2);
    const run = await runOf('sse_generator');
    expect(expectWellFormedRun(run)).toMatchObject({ status: 'cancelled', stop_reason: 'cancelled' });
    expect(run[0]).toMatchObject({ request_id: 'req-sse' });
  });
});
