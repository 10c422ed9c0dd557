import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ChildApp } from '../delivery/support/child-app';
import type { LogLine } from '../support/log-capture';
import { OtlpReceiver } from '../support/otlp-receiver';

const FIXTURE = path.join(__dirname, 'fixtures', 'service.js');
const CLI = path.join(__dirname, '..', '..', 'dist', 'cjs', 'cli', 'main.js');

/** Asks the app to close (its spans flushed) and waits for it to exit. */
async function close(app: ChildApp): Promise<void> {
  app.child.send('close');
  const { code } = await app.exited;
  expect(code).toBe(0);
}

describe('one story across two services: an agent in A calls B over HTTP, B runs an agent', () => {
  const receiver = new OtlpReceiver();
  let a: LogLine[];
  let b: LogLine[];
  let apps: ChildApp[] = [];

  beforeAll(async () => {
    const url = await receiver.start();
    const specialist = await ChildApp.start({ SERVICE: 'specialist', OTLP_URL: url }, FIXTURE);
    const planner = await ChildApp.start({ SERVICE: 'planner', OTLP_URL: url, PEER_URL: specialist.url }, FIXTURE);
    apps = [planner, specialist];
    const res = await planner.get('ask');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ a: { hits: 9 }, b: { hits: 9 } });
    await close(planner);
    await close(specialist);
    a = planner.events();
    b = specialist.events();
  }, 60_000);

  afterAll(async () => {
    for (const app of apps) app.dispose();
    await receiver.stop();
  });

  it("records B's runs as children of the calling steps of A's run, in both logs", () => {
    const [plannerRun] = a.filter((e) => e.event === 'run_started');
    const callers = a.filter((e) => e.event === 'tool_call');
    expect(callers.map((e) => e.tool)).toEqual(['ask_specialist', 'ask_specialist_axios']);
    const started = b.filter((e) => e.event === 'run_started');
    expect(started).toHaveLength(2);
    // fetch with agentTraceHeaders(), then HttpService with the interceptor one-liner
    for (const [i, run] of started.entries()) {
      expect(run).toMatchObject({
        agent: 'specialist',
        trace_id: plannerRun.trace_id,
        trace_flags: '01',
        parent_span_id: callers[i].span_id,
        parent_run_id: plannerRun.run_id,
      });
    }
    for (const e of [...a, ...b]) expect(e.trace_id).toBe(plannerRun.trace_id);
  });

  it("exports B's run spans under A's step spans, one trace across both services", () => {
    const span = (e: LogLine) => receiver.byId(e.span_id as string);
    const plannerRun = span(a[0]);
    expect(plannerRun).toMatchObject({ name: 'invoke_agent planner', service: 'planner', parentSpanId: undefined });
    const callers = a.filter((e) => e.event === 'tool_call').map(span);
    const specialistRuns = b.filter((e) => e.event === 'run_started').map(span);
    expect(callers.map((s) => [s.name, s.parentSpanId, s.service])).toEqual([
      ['execute_tool ask_specialist', plannerRun.spanId, 'planner'],
      ['execute_tool ask_specialist_axios', plannerRun.spanId, 'planner'],
    ]);
    expect(specialistRuns.map((s) => [s.name, s.parentSpanId, s.service, s.attributes['agent_log.parent_run_id']])).toEqual([
      ['invoke_agent specialist', callers[0].spanId, 'specialist', a[0].run_id],
      ['invoke_agent specialist', callers[1].spanId, 'specialist', a[0].run_id],
    ]);
    // Every event of either log is the line of a span the receiver got, in the one trace.
    for (const e of [...a, ...b]) expect(span(e).traceId).toBe(plannerRun.traceId);
  });

  it('lets `agent-log show`, given both logs, draw one tree: each B run under the step that called it', () => {
    const dir = apps[0].logFile;
    const out = spawnSync(process.execPath, [CLI, 'show', a[0].run_id!, dir, apps[1].logFile, '--json'], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    const rows = (JSON.parse(out.stdout) as { timeline: { type: string; depth: number; agent?: string; name?: string }[] }).timeline;
    expect(rows.filter((r) => r.type !== 'gap').map((r) => [r.depth, r.type, r.agent ?? r.name])).toEqual([
      [0, 'run', 'planner'],
      [1, 'step', 'gpt-4o-mini'],
      [1, 'step', 'ask_specialist'],
      [2, 'run', 'specialist'],
      [3, 'step', 'search_kb'],
      [1, 'step', 'ask_specialist_axios'],
      [2, 'run', 'specialist'],
      [3, 'step', 'search_kb'],
    ]);
  });
});
