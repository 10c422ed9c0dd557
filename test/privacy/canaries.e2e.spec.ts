import { Body, Controller, Headers, Injectable, Post, type CanActivate, type ExecutionContext, type INestApplication, UseGuards } from '@nestjs/common';
import fc from 'fast-check';
import { Observable, defer, lastValueFrom, toArray } from 'rxjs';
import request from 'supertest';
import { AgentLlm, AgentRun, AgentTool } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';
import { plainCanary, secretCanary } from './canaries';

type Shape = 'plain' | 'promise' | 'observable' | 'generator';
const SHAPES: Shape[] = ['plain', 'promise', 'observable', 'generator'];
type RunShape = 'promise' | 'observable' | 'generator';
/** How the failure is thrown: an Error, a bare string, or an Error whose cause holds the secret. */
type ErrorKind = 'error' | 'string' | 'cause';

interface Plant {
  task: string;
  args: string;
  prompt: string;
  result: string;
  output: string;
  secret: string;
  shape: Shape;
  runShape: RunShape;
  errorKind: ErrorKind;
  fail: boolean;
}

/** What the run body throws, in the planted kind. */
function failure(kind: ErrorKind, secret: string): unknown {
  if (kind === 'string') return `giving up on ${secret}`;
  if (kind === 'cause') return new Error(`giving up on ${secret}`, { cause: new Error(`upstream said ${secret}`) });
  return new Error(`giving up on ${secret}`);
}

/** Returns `value` in the given shape, or fails with `error` in it. */
function shaped(shape: Shape, value: unknown, error?: Error): unknown {
  switch (shape) {
    case 'plain':
      if (error) throw error;
      return value;
    case 'promise':
      return error ? Promise.reject(error) : Promise.resolve(value);
    case 'observable':
      return new Observable((s) => {
        setTimeout(() => (error ? s.error(error) : (s.next(value), s.complete())), 1);
      });
    case 'generator':
      return (async function* () {
        await new Promise((r) => setTimeout(r, 1));
        if (error) throw error;
        yield value;
      })();
  }
}

const drain = async (v: unknown): Promise<unknown> => {
  if (v instanceof Observable) return lastValueFrom(v.pipe(toArray()));
  if (v && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    const out = [];
    for await (const x of v as AsyncIterable<unknown>) out.push(x);
    return out;
  }
  return v;
};

@Injectable()
class LeakyTools {
  @AgentTool('crm_lookup')
  lookup(args: { customer: string; shape: Shape; result: string; fail: boolean; secret: string }) {
    const error = args.fail ? new Error(`no customer ${args.secret} matches ${args.secret}`) : undefined;
    return shaped(args.shape, { customer: args.customer, notes: args.result, key: args.secret }, error);
  }
}

@Injectable()
class LeakyModel {
  @AgentLlm('leaky-model')
  complete(prompt: string, shape: Shape, output: string, secret: string) {
    return shaped(shape, { choices: [{ message: { content: `${output} ${secret}` }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1 } });
  }
}

@Injectable()
class LeakyAgent {
  constructor(
    private readonly tools: LeakyTools,
    private readonly model: LeakyModel,
  ) {}

  /** The body every run shape shares; undecorated, so each request is exactly one run. */
  private async body(plant: Plant) {
    await drain(this.model.complete(`${plant.prompt} ${plant.secret}`, plant.shape, plant.output, plant.secret));
    try {
      await drain(this.tools.lookup({ customer: plant.args, shape: plant.shape, result: plant.result, fail: plant.fail, secret: plant.secret }));
    } catch {
      // the agent carries on; the error is in tool_result
    }
    // Error messages are scrubbed by pattern: only secret-shaped values are planted in them.
    if (plant.fail) throw failure(plant.errorKind, plant.secret);
    return { answer: plant.output };
  }

  @AgentRun('leaky')
  async run(plant: Plant) {
    return this.body(plant);
  }

  @AgentRun('leaky_observable')
  observe(plant: Plant) {
    return defer(() => this.body(plant));
  }

  @AgentRun('leaky_stream')
  async *stream(plant: Plant) {
    yield await this.body(plant);
  }
}

@Injectable()
class UserFromHeaderGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest();
    req.user = { id: 'user-1', email: req.headers['x-user-email'], apiKey: req.headers['x-user-key'] };
    return true;
  }
}

@Controller()
@UseGuards(UserFromHeaderGuard)
class LeakyController {
  constructor(private readonly agent: LeakyAgent) {}
  @Post('run')
  async run(@Body() plant: Plant, @Headers() _headers: unknown) {
    const started = plant.runShape === 'observable' ? this.agent.observe(plant) : plant.runShape === 'generator' ? this.agent.stream(plant) : this.agent.run(plant);
    return drain(started).catch(() => ({ failed: true }));
  }
}

const metadata = { controllers: [LeakyController], providers: [LeakyAgent, LeakyTools, LeakyModel, UserFromHeaderGuard] };

const plants = fc.record({
  task: plainCanary,
  args: plainCanary,
  prompt: plainCanary,
  result: plainCanary,
  output: plainCanary,
  secret: secretCanary,
  headerSecret: secretCanary,
  userEmail: secretCanary,
  shape: fc.constantFrom(...SHAPES),
  runShape: fc.constantFrom<RunShape>('promise', 'observable', 'generator'),
  errorKind: fc.constantFrom<ErrorKind>('error', 'string', 'cause'),
  fail: fc.boolean(),
});

async function plantAndCapture(app: INestApplication, p: Plant & { headerSecret: string; userEmail: string }) {
  capture.clear();
  await request(app.getHttpServer())
    .post('/run')
    .set('authorization', `Bearer ${p.headerSecret}`)
    .set('cookie', `session=${p.headerSecret}`)
    .set('x-user-email', p.userEmail)
    .set('x-user-key', p.headerSecret)
    .send(p)
    .expect(201);
  await settleLogs();
  const events = capture.events;
  expect(events.filter((e) => e.event === 'run_finished')).toHaveLength(1);
  return JSON.stringify(events);
}

const SEED = Number(process.env.AGENT_LOG_PROP_SEED ?? 20261125);
const RUNS = Number(process.env.AGENT_LOG_PROP_RUNS ?? 40);

describe('canaries: nothing personal reaches an event by default', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({ metadata });
  });
  afterAll(() => app.close());

  it('keeps every planted value out of the events, in every return shape, failing or not', async () => {
    await fc.assert(
      fc.asyncProperty(plants, async (p) => {
        const logged = await plantAndCapture(app, p);
        for (const canary of [p.task, p.args, p.prompt, p.result, p.output, p.secret, p.headerSecret, p.userEmail]) {
          expect(logged).not.toContain(canary);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('canaries with opt-in capture', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp({ agentLogging: { capture: { args: true, results: true, prompts: true, outputs: true } }, metadata });
  });
  afterAll(() => app.close());

  it('writes the captured values, but still never a secret-shaped one', async () => {
    await fc.assert(
      fc.asyncProperty(plants, async (p) => {
        const logged = await plantAndCapture(app, p);
        for (const secret of [p.secret, p.headerSecret, p.userEmail]) expect(logged).not.toContain(secret);
        expect(logged).toContain(p.args);
        expect(logged).toContain(p.prompt);
      }),
      { seed: SEED, numRuns: Math.ceil(RUNS / 2) },
    );
  });
});
