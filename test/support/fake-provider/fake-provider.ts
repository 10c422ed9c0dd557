import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isError, type AnswerFn, type Endpoint, type RequestView, type ScriptedAnswer, type ScriptedReply } from './answer.js';
import { anthropicMessages } from './anthropic-messages.wire.js';
import { openaiChat } from './openai-chat.wire.js';
import { openaiResponses } from './openai-responses.wire.js';
import type { AnswerIds, SseEvent, WireFormat } from './wire.js';

const WIRES: Record<Endpoint, WireFormat> = {
  'openai.chat': openaiChat,
  'openai.responses': openaiResponses,
  'anthropic.messages': anthropicMessages,
};

/** The ids `GET /models` lists. */
export const MODEL_LIST: readonly string[] = ['gpt-4o-mini', 'gpt-4o', 'o4-mini'];

const isModelList = (method: string | undefined, path: string): boolean => method === 'GET' && path.split('?')[0]!.replace(/\/+$/, '').endsWith('/models');

/** Which endpoint a path is, whatever prefix the client's base URL put before it. */
function endpointOf(method: string | undefined, path: string): Endpoint | undefined {
  if (method !== 'POST') return undefined;
  const bare = path.split('?')[0]!.replace(/\/+$/, '');
  if (bare.endsWith('/chat/completions')) return 'openai.chat';
  if (bare.endsWith('/responses')) return 'openai.responses';
  if (bare.endsWith('/messages')) return 'anthropic.messages';
  return undefined;
}

/** One request the fake provider received, and how it answered it (filled in as the answer is written). */
export interface ReceivedRequest {
  readonly endpoint: Endpoint | undefined;
  readonly method: string;
  readonly path: string;
  /** Lower-cased header names, as Node gives them. */
  readonly headers: Record<string, string | string[] | undefined>;
  /** The JSON body, parsed. */
  readonly body: Record<string, unknown>;
  /** Whether the request asked for `stream: true`. */
  readonly stream: boolean;
  /** The status sent, once sent. */
  status?: number;
  /** The request id header sent with the answer. */
  requestId?: string;
  /** The response id in the answer's body (`chatcmpl-…`, `resp_…`, `msg_…`). */
  responseId?: string;
  /** How many server-sent events were written. */
  eventsSent: number;
  /** The client closed the connection before the answer was complete (an abort, a `break`). */
  closedByClient: boolean;
  /** The fake cut the connection as scripted (`cutAfter`). */
  cut: boolean;
  /** Resolves when the answer is complete, cut, or the client went away. */
  readonly finished: Promise<void>;
}

/**
 * A local stand-in for the OpenAI and Anthropic APIs: a real HTTP server on
 * 127.0.0.1 (a free port) that writes each provider's documented wire format,
 * so the real SDKs can be pointed at it with `baseURL`. Each endpoint answers
 * from its own queue of scripted answers, in order; a request with nothing
 * scripted gets a 500 that says so (with `x-should-retry: false`, so an SDK
 * does not retry it). `GET /models` answers the fixed MODEL_LIST, unscripted
 * (a list call's PagePromise). Every request is recorded, headers and body included.
 *
 * ```ts
 * const provider = await startFakeProvider();
 * provider.script('openai.chat', { text: ['Hel', 'lo'], usage: { input: 20, output: 2 }, chunkDelayMs: 50 });
 * const client = new OpenAI({ apiKey: 'test', baseURL: provider.openaiBaseURL, maxRetries: 0 });
 * ```
 */
export class FakeProvider {
  /** Every request received, in order. */
  readonly requests: ReceivedRequest[] = [];
  private readonly queues = new Map<Endpoint, (ScriptedAnswer | AnswerFn)[]>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private counter = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeProvider> {
    const server = createServer();
    const provider = new FakeProvider(server);
    server.on('request', (req, res) => provider.handle(req, res));
    server.on('connection', (socket) => {
      provider.sockets.add(socket);
      socket.on('close', () => provider.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return provider;
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** The `baseURL` for the `openai` SDK (and OpenAI-compatible clients). */
  get openaiBaseURL(): string {
    return `${this.url}/v1`;
  }

  /** The `baseURL` for `@anthropic-ai/sdk` (it adds `/v1/messages` itself). */
  get anthropicBaseURL(): string {
    return this.url;
  }

  /** Appends answers to an endpoint's queue; each request takes the next one. */
  script(endpoint: Endpoint, ...answers: (ScriptedAnswer | AnswerFn)[]): this {
    const queue = this.queues.get(endpoint) ?? [];
    queue.push(...answers);
    this.queues.set(endpoint, queue);
    return this;
  }

  /** Answers scripted and not yet taken. */
  pending(endpoint?: Endpoint): number {
    if (endpoint) return this.queues.get(endpoint)?.length ?? 0;
    let n = 0;
    for (const queue of this.queues.values()) n += queue.length;
    return n;
  }

  /** The requests one endpoint received. */
  requestsTo(endpoint: Endpoint): ReceivedRequest[] {
    return this.requests.filter((r) => r.endpoint === endpoint);
  }

  /** The last request received. */
  get lastRequest(): ReceivedRequest | undefined {
    return this.requests[this.requests.length - 1];
  }

  /** Forgets the scripts and the recorded requests (between tests). */
  reset(): void {
    this.queues.clear();
    this.requests.length = 0;
  }

  /** Stops the server, cutting connections still open. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let markFinished!: () => void;
    const finished = new Promise<void>((resolve) => (markFinished = resolve));
    const raw = await readBody(req);
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      body = { _unparsed: raw };
    }
    const endpoint = endpointOf(req.method, req.url ?? '/');
    const record: ReceivedRequest = {
      endpoint, method: req.method ?? 'GET', path: req.url ?? '/', headers: { ...req.headers }, body,
      stream: body.stream === true, eventsSent: 0, closedByClient: false, cut: false, finished,
    };
    this.requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished && !record.cut) record.closedByClient = true;
      markFinished();
    });
    if (isModelList(req.method, req.url ?? '/')) return this.modelList(res, record);
    if (!endpoint) return this.plainError(res, record, 404, `fake provider: no endpoint ${req.method} ${req.url}`);
    const next = this.queues.get(endpoint)?.shift();
    if (!next) return this.plainError(res, record, 500, `fake provider: nothing scripted for ${endpoint}`);
    const view: RequestView = { endpoint, body, headers: record.headers };
    const answer = typeof next === 'function' ? next(view) : next;
    const wire = WIRES[endpoint];
    const n = ++this.counter;
    const reply = isError(answer) ? undefined : answer;
    const ids: AnswerIds = {
      requestId: (isError(answer) ? answer.error.requestId : answer.requestId) ?? wire.requestId(n),
      responseId: reply?.id ?? wire.responseId(n),
      created: 1_760_000_000,
    };
    record.requestId = ids.requestId;
    await this.sleep(answer.headersDelayMs, res);
    if (res.destroyed) return;
    if (isError(answer)) {
      const headers = { 'content-type': 'application/json', [wire.requestIdHeader]: ids.requestId, ...answer.error.headers };
      record.status = answer.error.status;
      res.writeHead(answer.error.status, headers).end(JSON.stringify(wire.errorBody(answer.error, ids)));
      return;
    }
    record.responseId = ids.responseId;
    const headers = { [wire.requestIdHeader]: ids.requestId, ...reply!.headers };
    if (!record.stream) {
      record.status = 200;
      res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(wire.json(reply!, view, ids)));
      return;
    }
    await this.stream(res, record, reply!, wire.events(reply!, view, ids), headers);
  }

  private async stream(res: ServerResponse, record: ReceivedRequest, reply: ScriptedReply, events: SseEvent[], headers: Record<string, string>) {
    record.status = 200;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
    res.flushHeaders();
    let seenFirstToken = false;
    for (const [i, event] of events.entries()) {
      if (reply.cutAfter === i) return this.cut(res, record);
      if (reply.hangAfter === i) return; // the client's abort closes it; close() cuts it
      const delay = event.firstToken ? reply.firstTokenDelayMs : seenFirstToken ? reply.chunkDelayMs : undefined;
      seenFirstToken ||= event.firstToken === true;
      await this.sleep(delay, res);
      if (res.destroyed) return;
      const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
      // Each event is handed to the socket before the next step, so a scripted cut comes after it.
      await new Promise<void>((resolve) => res.write(`${event.event ? `event: ${event.event}\n` : ''}data: ${data}\n\n`, () => resolve()));
      record.eventsSent += 1;
    }
    if (reply.cutAfter === events.length) return this.cut(res, record);
    if (reply.hangAfter === events.length) return;
    res.end();
  }

  /** `GET /models`, unscripted: OpenAI's list of the models in MODEL_LIST, one page. */
  private modelList(res: ServerResponse, record: ReceivedRequest): void {
    record.status = 200;
    record.requestId = `req_models_${++this.counter}`;
    const data = MODEL_LIST.map((id) => ({ id, object: 'model', created: 1_760_000_000, owned_by: 'fake' }));
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': record.requestId }).end(JSON.stringify({ object: 'list', data }));
  }

  private cut(res: ServerResponse, record: ReceivedRequest): void {
    record.cut = true;
    res.socket?.destroy();
  }

  private plainError(res: ServerResponse, record: ReceivedRequest, status: number, message: string): void {
    record.status = status;
    res.writeHead(status, { 'content-type': 'application/json', 'x-should-retry': 'false' }).end(JSON.stringify({ error: { message, type: 'fake_provider_error' } }));
  }

  /** Waits, unless the client goes away first. */
  private sleep(ms: number | undefined, res: ServerResponse): Promise<void> {
    if (!ms) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      this.timers.add(timer);
      const timers = this.timers;
      function done() {
        res.off('close', done);
        clearTimeout(timer);
        timers.delete(timer);
        resolve();
      }
      res.once('close', done);
    });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts a fake provider on 127.0.0.1 with a free port. Close it in `afterAll`. */
export const startFakeProvider = (): Promise<FakeProvider> => FakeProvider.start();
