import type { AddressInfo } from 'node:net';
import {
  Controller,
  Injectable,
  UseGuards,
  UseInterceptors,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type INestMicroservice,
} from '@nestjs/common';
import { MessagePattern, TcpContext, type ClientProxy, type MicroserviceOptions } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { LoggerModule } from 'nestjs-pino';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { firstValueFrom } from 'rxjs';
import { io, type Socket } from 'socket.io-client';
import { AgentContextInterceptor, AgentLoggingModule, AgentRun, AgentTool, currentAgentRun, type AgentLoggingModuleOptions } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';
import { freePort, tcpClient, tcpOptions } from '../support/tcp';
import { expectWellFormedRun } from '../support/engine-harness';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

@Injectable()
class Agent {
  @AgentTool('lookup')
  async lookup(q: string) {
    return q.length;
  }

  /** Answers with what the run saw of its request, so each test can match the answer to its events. */
  @AgentRun('transport_agent')
  async answer(q: string) {
    await this.lookup(q);
    const run = currentAgentRun()!;
    return { runId: run.runId, requestId: run.requestId ?? null, userId: run.userId ?? null };
  }
}

@Controller()
class RpcHandlers {
  constructor(private readonly agent: Agent) {}

  @MessagePattern('ask')
  ask(q: string) {
    return this.agent.answer(q);
  }
}

/** Plays the part of a gateway auth guard: puts the user on the socket, as a JWT guard does. */
@Injectable()
class WsAuthGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const client = ctx.switchToWs().getClient<{ handshake: { auth: { user?: string } }; user?: { id: string } }>();
    if (client.handshake.auth.user) client.user = { id: client.handshake.auth.user };
    return true;
  }
}

@WebSocketGateway()
@UseGuards(WsAuthGuard)
class AgentGateway {
  constructor(private readonly agent: Agent) {}

  @SubscribeMessage('ask')
  @UseInterceptors(AgentContextInterceptor)
  ask(client: unknown, q: string) {
    return this.agent.answer(q);
  }

  /** The same handler without the interceptor: only the global one, if any, reaches it. */
  @SubscribeMessage('ask_bare')
  askBare(client: unknown, q: string) {
    return this.agent.answer(q);
  }
}

type Answer = { runId: string; requestId: string | null; userId: string | null };

/** TCP carries no headers: the user id comes from the RPC context the extractor is given. */
const tcpUser: AgentLoggingModuleOptions['userId'] = (ctx) => (ctx instanceof TcpContext ? `tcp-${ctx.getPattern()}` : undefined);

/** The run's events, once they are all written. */
async function eventsOf(answer: Answer) {
  await settleLogs();
  const events = capture.eventsOf(answer.runId);
  expectWellFormedRun(events);
  return events;
}

describe('AgentContextInterceptor over an RPC transport (TCP microservice)', () => {
  let app: INestApplication;
  let client: ClientProxy;
  beforeAll(async () => {
    app = await bootApp({
      agentLogging: { userId: tcpUser },
      metadata: { controllers: [RpcHandlers], providers: [Agent] },
    });
    const port = await freePort();
    // inheritAppConfig: a hybrid app's microservice gets the app's global enhancers, ours among them.
    app.connectMicroservice(tcpOptions(port), { inheritAppConfig: true });
    await app.startAllMicroservices();
    client = await tcpClient(port);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('runs an RPC handler inside the request scope: the extractor sees the RPC context, no request_id, a well-formed run', async () => {
    capture.clear();
    const answer = await firstValueFrom(client.send<Answer>('ask', 'where is my order?'));
    expect(answer).toEqual({ runId: expect.any(String), requestId: null, userId: 'tcp-ask' });
    const events = await eventsOf(answer);
    expect(events[0]).toMatchObject({ event: 'run_started', user_id: 'tcp-ask' });
    expect(events[0]).not.toHaveProperty('request_id');
    expect(events.at(-1)).toMatchObject({ event: 'run_finished', status: 'ok', stop_reason: 'completed', tool_calls: 1 });
  });

  it('keeps concurrent RPC calls apart: one run each, none sharing ids', async () => {
    capture.clear();
    const answers = await Promise.all(['a', 'bb', 'ccc', 'dddd'].map((q) => firstValueFrom(client.send<Answer>('ask', q))));
    expect(new Set(answers.map((a) => a.runId)).size).toBe(4);
    for (const answer of answers) expect((await eventsOf(answer)).at(-1)).toMatchObject({ stop_reason: 'completed' });
  });
});

describe('AgentContextInterceptor in a standalone TCP microservice', () => {
  let service: INestMicroservice;
  let client: ClientProxy;
  beforeAll(async () => {
    const port = await freePort();
    const moduleRef = await Test.createTestingModule({
      imports: [LoggerModule.forRoot({ pinoHttp: [{ level: 'info' }, capture] }), AgentLoggingModule.forRoot({ userId: tcpUser })],
      controllers: [RpcHandlers],
      providers: [Agent],
    }).compile();
    service = moduleRef.createNestMicroservice<MicroserviceOptions>({ ...tcpOptions(port), logger: false });
    await service.listen();
    client = await tcpClient(port);
  });
  afterAll(async () => {
    await client.close();
    await service.close();
  });

  it('gets the global interceptor without any extra setting', async () => {
    capture.clear();
    const answer = await firstValueFrom(client.send<Answer>('ask', 'hi'));
    expect(answer.userId).toBe('tcp-ask');
    expect((await eventsOf(answer))[0]).toMatchObject({ event: 'run_started', user_id: 'tcp-ask' });
  });
});

const sockets: Socket[] = [];

/** A socket.io client connected to `url`, sending `extraHeaders` with its handshake. */
async function connect(url: string, extraHeaders: Record<string, string>, auth: Record<string, string> = {}) {
  const socket = io(url, { transports: ['websocket'], extraHeaders, auth, reconnection: false });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

const disconnectAll = () => sockets.splice(0).forEach((socket) => socket.disconnect());

const gatewayUrl = (app: INestApplication) => `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;

describe('AgentContextInterceptor on a WebSocket gateway (socket.io)', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await bootApp({ metadata: { providers: [Agent, AgentGateway, WsAuthGuard] } });
    url = gatewayUrl(app);
  });
  afterAll(async () => {
    disconnectAll();
    await app.close();
  });
  beforeEach(() => capture.clear());

  it('reads request_id, traceparent and the guard\'s user from the handshake', async () => {
    const socket = await connect(url, { 'x-request-id': 'ws-req-1', traceparent: `00-${TRACE}-${PARENT}-01` }, { user: 'ws-user-7' });
    const answer: Answer = await socket.emitWithAck('ask', 'hello');
    expect(answer).toMatchObject({ requestId: 'ws-req-1', userId: 'ws-user-7' });
    const events = await eventsOf(answer);
    expect(events[0]).toMatchObject({
      event: 'run_started', request_id: 'ws-req-1', user_id: 'ws-user-7', trace_id: TRACE, parent_span_id: PARENT, trace_flags: '01',
    });
    for (const e of events) expect(e.trace_id).toBe(TRACE);
  });

  it('gives every message of one connection its own run under the connection\'s request id', async () => {
    const socket = await connect(url, { 'x-request-id': 'ws-req-2' });
    const answers: Answer[] = await Promise.all([socket.emitWithAck('ask', 'a'), socket.emitWithAck('ask', 'b')]);
    expect(answers[0].runId).not.toBe(answers[1].runId);
    for (const answer of answers) expect((await eventsOf(answer))[0]).toMatchObject({ request_id: 'ws-req-2' });
  });

  it('ignores a malformed traceparent from the handshake: a fresh trace, never an error', async () => {
    const socket = await connect(url, { 'x-request-id': 'ws-req-3', traceparent: `00-${TRACE}-zzzz-01` });
    const answer: Answer = await socket.emitWithAck('ask', 'hello');
    const [started] = await eventsOf(answer);
    expect(started).toMatchObject({ request_id: 'ws-req-3' });
    expect(started.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(started.trace_id).not.toBe(TRACE);
    expect(started).not.toHaveProperty('parent_span_id');
  });

  it('still logs a whole run on a handler the interceptor does not reach, without request context', async () => {
    const socket = await connect(url, { 'x-request-id': 'ws-req-4', traceparent: `00-${TRACE}-${PARENT}-01` }, { user: 'ws-user-8' });
    const answer: Answer = await socket.emitWithAck('ask_bare', 'hello');
    const [started] = await eventsOf(answer);
    expect(started).toMatchObject({ event: 'run_started', agent: 'transport_agent' });
    expect(started).not.toHaveProperty('request_id');
    expect(started.trace_id).not.toBe(TRACE);
  });
});

describe('a gateway\'s own copy of the interceptor reads the module\'s options', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({
      agentLogging: { hashSecret: 'a-test-secret-of-32-characters!!', pseudonymizeUserId: true },
      metadata: { providers: [Agent, AgentGateway, WsAuthGuard] },
    });
  });
  afterAll(async () => {
    disconnectAll();
    await app.close();
  });

  it('writes the user id as its keyed hash when pseudonymizeUserId is on', async () => {
    capture.clear();
    const socket = await connect(gatewayUrl(app), {}, { user: 'ws-user-9' });
    const answer: Answer = await socket.emitWithAck('ask', 'hello');
    expect(answer.userId).toMatch(/^[0-9a-f]{32}$/);
    expect((await eventsOf(answer))[0]).toMatchObject({ user_id: answer.userId });
    expect(capture.raw).not.toContain('ws-user-9');
  });
});
