import { createHmac } from 'node:crypto';
import { Controller, Injectable, Post, UseGuards, type CanActivate, type ExecutionContext, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AgentRun, currentAgentRun } from 'nestjs-agent-logging';
import { capture, settleLogs, useApp } from '../support/boot';

const SECRET = 'pseudonym-secret-of-32-characters';

/** Plays passport: the user comes from a header, a number when the header says so. */
@Injectable()
class HeaderAuthGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest();
    const id = req.headers['x-user'];
    req.user = { id: id === 'numeric' ? 4242 : id, email: 'jane@example.com' };
    return true;
  }
}

@Injectable()
class NestedAgents {
  seen: (string | undefined)[] = [];

  @AgentRun('inner')
  async inner() {
    this.seen.push(currentAgentRun()?.userId);
  }

  @AgentRun('outer')
  async outer() {
    this.seen.push(currentAgentRun()?.userId);
    await this.inner();
  }
}

@Controller()
@UseGuards(HeaderAuthGuard)
class RunController {
  constructor(private readonly agents: NestedAgents) {}
  @Post('run')
  async run() {
    this.agents.seen = [];
    await this.agents.outer();
    return this.agents.seen;
  }
}

const metadata = { controllers: [RunController], providers: [NestedAgents, HeaderAuthGuard] };

/** The documented formula, computed independently: HMAC-SHA256 over the id's JSON string, first 32 hex. */
const pseudonym = (id: string) => createHmac('sha256', SECRET).update(JSON.stringify(id)).digest('hex').slice(0, 32);

async function run(app: INestApplication, user: string) {
  capture.clear();
  const res = await request(app.getHttpServer()).post('/run').set('x-user', user).expect(201);
  await settleLogs();
  const started = capture.events.filter((e) => e.event === 'run_started');
  expect(started).toHaveLength(2);
  return { started, seen: res.body as string[], raw: capture.raw };
}

describe('user_id pseudonymisation (pseudonymizeUserId with hashSecret)', () => {
  const app = useApp({ agentLogging: { hashSecret: SECRET, pseudonymizeUserId: true }, metadata });

  it('writes HMAC-SHA256(secret, JSON of the id) cut to 32 hex on every run of the request, nested runs included', async () => {
    const { started, seen } = await run(app(), 'user-7');
    for (const e of started) expect(e.user_id).toBe(pseudonym('user-7'));
    expect(seen).toEqual([pseudonym('user-7'), pseudonym('user-7')]); // what the code reads is what the log says
  });

  it('is stable per user, differs between users, and treats a numeric id as its decimal string', async () => {
    expect((await run(app(), 'user-7')).started[0].user_id).toBe((await run(app(), 'user-7')).started[0].user_id);
    expect((await run(app(), 'user-8')).started[0].user_id).toBe(pseudonym('user-8'));
    expect((await run(app(), 'numeric')).started[0].user_id).toBe(pseudonym('4242'));
  });

  it('never writes the id itself into an event', async () => {
    const { raw } = await run(app(), 'customer-5512');
    const eventLines = raw.split('\n').filter((l) => l.includes('"schema":"agent-log/1"'));
    expect(eventLines.length).toBeGreaterThanOrEqual(4);
    for (const line of eventLines) expect(line).not.toContain('customer-5512');
  });
});

describe('user_id without pseudonymisation (the control)', () => {
  const app = useApp({ agentLogging: { hashSecret: SECRET }, metadata });

  it('writes the id as the request carried it', async () => {
    const { started } = await run(app(), 'user-7');
    for (const e of started) expect(e.user_id).toBe('user-7');
  });
});
