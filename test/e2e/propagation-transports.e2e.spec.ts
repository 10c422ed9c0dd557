import { Controller, Injectable, type INestApplication } from '@nestjs/common';
import { ClientProxyFactory, MessagePattern, NatsRecordBuilder, Transport, type ClientProxy } from '@nestjs/microservices';
import { Queue, Worker } from 'bullmq';
import { headers as natsHeaders } from 'nats';
import { firstValueFrom } from 'rxjs';
import { AgentRun, AgentTool, agentTraceHeaders, currentAgentRun, withAgentTraceContext, withAgentRun } from 'nestjs-agent-logging';
import { bootApp, capture, settleLogs } from '../support/boot';
import { hasBinary, ServerProcess } from '../support/server-process';
import { freePort, tcpClient, tcpOptions } from '../support/tcp';
import type { LogLine } from '../support/log-capture';

/** The context of the current step, as NATS headers (the documented two lines). */
function natsTraceHeaders() {
  const h = natsHeaders();
  for (const [key, value] of Object.entries(agentTraceHeaders())) h.set(key, value);
  return h;
}

const clients: { nats?: ClientProxy; tcp?: ClientProxy; queue?: Queue } = {};

@Injectable()
class Specialist {
  @AgentTool('search_kb')
  async search(q: string) {
    return q.length;
  }

  @AgentRun('specialist')
  async answer(q: string) {
    await this.search(q);
    return currentAgentRun()!.runId;
  }
}

@Controller()
class Handlers {
  constructor(private readonly specialist: Specialist) {}

  /** NATS carries headers: the interceptor reads traceparent and baggage from them. */
  @MessagePattern('specialist.ask', Transport.NATS)
  overNats(q: string) {
    return this.specialist.answer(q);
  }

  /** TCP carries no headers: the caller puts them in the payload, the handler enters them. */
  @MessagePattern('specialist.ask', Transport.TCP)
  overTcp(data: { q: string; trace: Record<string, string> }) {
    return withAgentTraceContext(data.trace, () => this.specialist.answer(data.q));
  }
}

@Injectable()
class Planner {
  @AgentTool('ask_over_nats')
  askOverNats(q: string) {
    return firstValueFrom(clients.nats!.send<string>('specialist.ask', new NatsRecordBuilder(q).setHeaders(natsTraceHeaders()).build()));
  }

  @AgentTool('ask_over_tcp')
  askOverTcp(q: string) {
    return firstValueFrom(clients.tcp!.send<string>('specialist.ask', { q, trace: agentTraceHeaders() }));
  }

  @AgentTool('enqueue_summary')
  async enqueue(q: string) {
    const job = await clients.queue!.add('summarize', { q, trace: agentTraceHeaders() });
    return job.id;
  }

  @AgentRun('planner')
  async plan() {
    const nats = await this.askOverNats('via nats');
    const tcp = await this.askOverTcp('via tcp');
    await this.enqueue('via bullmq');
    return { planner: currentAgentRun()!.runId, nats, tcp };
  }
}

/** The events of the run whose id is `runId`, once it has finished. */
async function runOf(runId: string): Promise<LogLine[]> {
  const deadline = Date.now() + 10_000;
  while (!capture.eventsOf(runId).some((e) => e.event === 'run_finished')) {
    if (Date.now() > deadline) throw new Error(`run ${runId} did not finish`);
    await settleLogs();
  }
  return capture.eventsOf(runId);
}

const servers = hasBinary('nats-server') && hasBinary('redis-server');
const describeWithServers = servers ? describe : describe.skip;

describeWithServers('the run carried across @nestjs/microservices (NATS, TCP) and a BullMQ job on a real Redis', () => {
  let nats: ServerProcess;
  let redis: ServerProcess;
  let app: INestApplication;
  let worker: Worker;
  const jobRuns: string[] = [];

  beforeAll(async () => {
    [nats, redis] = await Promise.all([
      ServerProcess.start('nats-server', (port) => ['-a', '127.0.0.1', '-p', String(port)]),
      ServerProcess.start('redis-server', (port) => ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no']),
    ]);
    app = await bootApp({ metadata: { controllers: [Handlers], providers: [Specialist, Planner] } });
    const natsOptions = { transport: Transport.NATS as const, options: { servers: [`nats://127.0.0.1:${nats.port}`] } };
    const tcpPort = await freePort();
    app.connectMicroservice(natsOptions, { inheritAppConfig: true });
    app.connectMicroservice(tcpOptions(tcpPort), { inheritAppConfig: true });
    await app.startAllMicroservices();
    // Connected before any run, so no run's context can reach a handler but through what the message carries.
    clients.nats = ClientProxyFactory.create(natsOptions);
    await clients.nats.connect();
    clients.tcp = await tcpClient(tcpPort);
    const connection = { host: '127.0.0.1', port: redis.port };
    clients.queue = new Queue('summaries', { connection });
    const summarize = withAgentRun('summarizer', async (q: string) => q.toUpperCase());
    // The worker enters the job's context: its run joins the trace of the step that queued it.
    worker = new Worker('summaries', (job) => withAgentTraceContext(job.data.trace, () => summarize(job.data.q)), { connection });
    worker.on('completed', () => {
      const run = capture.events.filter((e) => e.event === 'run_started' && e.agent === 'summarizer').at(-1);
      if (run) jobRuns.push(run.run_id!);
    });
  }, 30_000);

  afterAll(async () => {
    await worker?.close();
    await clients.queue?.close();
    await clients.nats?.close();
    await clients.tcp?.close();
    await app?.close();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('records the runs at the other end as children of the calling steps, in the same trace', async () => {
    capture.clear();
    const answer = await app.get(Planner).plan();
    const planner = await runOf(answer.planner);
    const [started] = planner;
    const steps = Object.fromEntries(planner.filter((e) => e.event === 'tool_call').map((e) => [e.tool, e.span_id]));

    const child = async (runId: string, step: string) => {
      const [first] = await runOf(runId);
      expect(first).toMatchObject({ event: 'run_started', trace_id: started.trace_id, trace_flags: '01', parent_span_id: steps[step], parent_run_id: answer.planner });
    };
    await child(answer.nats, 'ask_over_nats');
    await child(answer.tcp, 'ask_over_tcp');
    const deadline = Date.now() + 10_000;
    while (jobRuns.length === 0 && Date.now() < deadline) await settleLogs();
    expect(jobRuns).toHaveLength(1);
    await child(jobRuns[0], 'enqueue_summary');
  });

  it('starts a fresh trace for a message that carries nothing, or a broken traceparent', async () => {
    capture.clear();
    const plain = await firstValueFrom(clients.nats!.send<string>('specialist.ask', 'no context'));
    const h = natsHeaders();
    h.set('traceparent', '00-zzzz-broken-01');
    h.set('baggage', 'agent_log.run_id=not-a-run');
    const broken = await firstValueFrom(clients.nats!.send<string>('specialist.ask', new NatsRecordBuilder('broken').setHeaders(h).build()));
    for (const runId of [plain, broken]) {
      const [first] = await runOf(runId);
      expect(first.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(first).not.toHaveProperty('parent_span_id');
      expect(first).not.toHaveProperty('parent_run_id');
    }
  });
});
