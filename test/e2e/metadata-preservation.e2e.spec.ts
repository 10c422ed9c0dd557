import {
  Controller,
  Get,
  Injectable,
  Post,
  SetMetadata,
  Sse,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type MessageEvent,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { EventPattern, MessagePattern, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, of, type Observable } from 'rxjs';
import request from 'supertest';
import { AgentRun, AgentTool } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';
import { freePort, tcpClient, tcpOptions } from '../support/tcp';

const ROLES = 'test:roles';
const Roles = (...roles: string[]) => SetMetadata(ROLES, roles);

/** A roles guard as Nest's docs write it: reads the handler's metadata through the Reflector. */
@Injectable()
class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(ctx: ExecutionContext): boolean {
    const roles = this.reflector.get<string[] | undefined>(ROLES, ctx.getHandler());
    if (!roles) return true;
    return roles.includes(String(ctx.switchToHttp().getRequest().headers['x-role']));
  }
}

@Injectable()
class Lookup {
  @AgentTool('lookup')
  find(id: string) {
    return { id };
  }
}

@Controller('guarded')
@UseGuards(RolesGuard)
class GuardedController {
  constructor(private readonly lookup: Lookup) {}

  // The agent decorator below Nest's (applied first)...
  @Get('agent-first')
  @Roles('admin')
  @AgentRun('agent_first')
  agentFirst() {
    return this.lookup.find('a');
  }

  // ...and above them (applied last).
  @AgentRun('agent_last')
  @Roles('admin')
  @Post('agent-last')
  agentLast() {
    return this.lookup.find('b');
  }

  @AgentRun('sse_last')
  @Roles('admin')
  @Sse('sse-last')
  sseLast(): Observable<MessageEvent> {
    return of({ data: 'one' }, { data: 'two' });
  }

  @Sse('sse-first')
  @AgentRun('sse_first')
  sseFirst(): Observable<MessageEvent> {
    return of({ data: 'one' });
  }
}

@Controller()
class RpcController {
  received: unknown[] = [];

  @MessagePattern('sum')
  @AgentRun('rpc_sum')
  sum(numbers: number[]) {
    return numbers.reduce((a, b) => a + b, 0);
  }

  @AgentRun('rpc_double')
  @MessagePattern('double')
  double(n: number) {
    return n * 2;
  }

  @EventPattern('noted')
  @AgentRun('event_first')
  noted(data: unknown) {
    this.received.push(data);
  }

  @AgentRun('event_last')
  @EventPattern('noted_too')
  notedToo(data: unknown) {
    this.received.push(data);
  }
}

const runsOf = (agent: string) => capture.events.filter((e) => e.event === 'run_finished' && e.agent === agent);

describe('metadata set before or after the agent decorator still works over real transports', () => {
  let app: INestApplication;
  let client: ClientProxy;
  beforeAll(async () => {
    app = await bootApp({ metadata: { controllers: [GuardedController, RpcController], providers: [Lookup] } });
    const port = await freePort();
    app.connectMicroservice(tcpOptions(port));
    await app.startAllMicroservices();
    client = await tcpClient(port);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });
  beforeEach(() => capture.clear());

  it.each([
    ['get', '/guarded/agent-first', 'agent_first'],
    ['post', '/guarded/agent-last', 'agent_last'],
  ] as const)('a roles guard reading @SetMetadata still guards %s %s', async (method, path, agent) => {
    const server = app.getHttpServer();
    await request(server)[method](path).expect(403);
    await request(server)[method](path).set('x-role', 'guest').expect(403);
    const ok = await request(server)[method](path).set('x-role', 'admin');
    expect([200, 201]).toContain(ok.status);
    expect(ok.body).toEqual({ id: expect.any(String) });
    await settleLogs();
    // Refused requests never reached the handler: one run, the admitted one.
    expect(runsOf(agent)).toHaveLength(1);
    expect(runsOf(agent)[0]).toMatchObject({ stop_reason: 'completed', total_steps: 1 });
  });

  it('@Sse keeps its route and its guard in either order', async () => {
    const server = app.getHttpServer();
    await request(server).get('/guarded/sse-last').expect(403);
    const last = await request(server).get('/guarded/sse-last').set('x-role', 'admin').buffer(true).parse((res, cb) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => cb(null, body));
    });
    expect(last.headers['content-type']).toMatch(/text\/event-stream/);
    expect(last.body).toContain('data: two');
    const first = await request(server).get('/guarded/sse-first').buffer(true).parse((res, cb) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => cb(null, body));
    });
    expect(first.headers['content-type']).toMatch(/text\/event-stream/);
    await settleLogs();
    expect(runsOf('sse_last')).toHaveLength(1);
    expect(runsOf('sse_first')).toHaveLength(1);
  });

  it('@MessagePattern handlers answer over TCP in either order, each call one run', async () => {
    expect(await firstValueFrom(client.send('sum', [1, 2, 3]))).toBe(6);
    expect(await firstValueFrom(client.send('double', 21))).toBe(42);
    await settleLogs();
    expect(runsOf('rpc_sum')).toMatchObject([{ stop_reason: 'completed' }]);
    expect(runsOf('rpc_double')).toMatchObject([{ stop_reason: 'completed' }]);
  });

  it('@EventPattern handlers receive events over TCP in either order', async () => {
    const rpc = app.get(RpcController);
    await firstValueFrom(client.emit('noted', { n: 1 }));
    await firstValueFrom(client.emit('noted_too', { n: 2 }));
    for (let i = 0; i < 50 && rpc.received.length < 2; i++) await settleLogs();
    expect(rpc.received).toEqual([{ n: 1 }, { n: 2 }]);
    await settleLogs();
    expect(runsOf('event_first')).toHaveLength(1);
    expect(runsOf('event_last')).toHaveLength(1);
  });
});
