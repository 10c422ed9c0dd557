import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The README's first command, for real: `node scripts/demo.js` installs the
 * sample app (NestJS 12, ESM) from its own lock file with this package's
 * packed tarball, runs it, asks it questions over HTTP, stops it with SIGTERM
 * and reads its log back with the inspector. `npm test` has just built dist/.
 */
describe('npm run demo', () => {
  const root = join(__dirname, '..', '..');
  let demo: SpawnSyncReturns<string>;
  let events: Record<string, unknown>[];

  beforeAll(() => {
    demo = spawnSync(process.execPath, [join(root, 'scripts', 'demo.js')], { cwd: root, encoding: 'utf8', timeout: 240_000, env: { ...process.env, FORCE_COLOR: '0' } });
    events = readFileSync(join(root, 'sample-app', 'logs', 'agent-events.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.schema === 'agent-log/1');
  }, 300_000);

  it('runs the NestJS 12 sample app end to end and exits 0', () => {
    expect(demo.stderr).not.toMatch(/Error|ERR!/);
    expect(demo.status).toBe(0);
  });

  it('logs every run the demo made, each ending as scripted', () => {
    const finished = events.filter((e) => e.event === 'run_finished');
    expect(finished.map((e) => [e.agent, e.stop_reason])).toEqual([
      ['support', 'completed'], ['support', 'completed'], ['support', 'tool_error'], ['support', 'tool_error'], ['support', 'max_steps'],
      ['support_stream', 'completed'], ['support_stream', 'cancelled'],
      // The AI SDK agent: a failing tool the model answers around is `completed`; the SDK's stopWhen cap is `max_steps`.
      ['order_desk', 'completed'], ['order_desk', 'completed'], ['order_desk', 'max_steps'],
    ]);
    for (const f of finished) expect(events.filter((e) => e.event === 'run_started' && e.run_id === f.run_id)).toHaveLength(1);
  });

  const runOfRequest = (requestId: string) => events.find((e) => e.event === 'run_started' && e.request_id === requestId)!.run_id as string;

  it('answers every failure with its run id, the run that request started', () => {
    const failures = [...demo.stdout.matchAll(/^POST \/support\/ask .* -> 502 (\{.*\})$/gm)].map((m) => JSON.parse(m[1]) as { message: string; run_id: string });
    expect(failures).toEqual([
      { message: 'the agent failed', run_id: runOfRequest('demo-3') },
      { message: 'the agent failed', run_id: runOfRequest('demo-4') },
      { message: 'the agent gave up', run_id: runOfRequest('demo-5') },
    ]);
  });

  it('ends by reading the log back with the inspector: from the run id an error answered with, and from a request id, to the failing tool', () => {
    expect(demo.stdout).toMatch(/\$ npx agent-log runs .* --status error/);
    // The runaway repeated one search: the loop guard's warning is on its row.
    expect(demo.stdout).toMatch(new RegExp(`${runOfRequest('demo-5')} .*error\\s+max_steps ⟳ search_docs`));
    // The run id from the first failure's body, as a customer's ticket would quote it.
    const ticket = runOfRequest('demo-3');
    expect(demo.stdout).toMatch(new RegExp(`\\$ npx agent-log show ${ticket} \\S+\\nrun ${ticket}  support  error\\n.*request demo-3 `));
    expect(demo.stdout).toContain('stopped: tool `lookup_order` failed with OrderNotFoundError after 2 steps');
    // The request id a support tool has: the refund's run, with the app's own lines.
    expect(demo.stdout).toMatch(new RegExp(`\\$ npx agent-log show demo-4 \\S+ --app-logs\\nrun ${runOfRequest('demo-4')}  support  error\\n`));
    expect(demo.stdout).toContain('stopped: tool `create_refund` failed with PaymentGatewayTimeoutError after 4 steps');
  });

  it("serves the package's metrics on /metrics: what it counted is what the log has", () => {
    const finished = events.filter((e) => e.event === 'run_finished');
    const runs = [...demo.stdout.matchAll(/^ {2}agent_runs_total\{agent="(\w+)",status="(\w+)",stop_reason="(\w+)"\} (\d+)$/gm)];
    expect(runs.reduce((n, m) => n + Number(m[4]), 0)).toBe(finished.length);
    for (const [, agent, status, stop, count] of runs) {
      expect([agent, status, stop, Number(count)]).toEqual([agent, status, stop, finished.filter((e) => e.agent === agent && e.status === status && e.stop_reason === stop).length]);
    }
    const loops = events.filter((e) => e.event === 'loop_detected');
    expect(loops.map((e) => [e.agent, e.tool, e.action])).toEqual([['support', 'search_docs', 'warned']]);
    expect(demo.stdout).toContain('  agent_loops_detected_total{agent="support",tool="search_docs",action="warned"} 1\n');
  });

  it('shows the AI SDK agent\'s run in the inspector beside the decorated one, the decorated tool under the SDK\'s tool step', () => {
    expect(demo.stdout).toMatch(/\$ npx agent-log show \S+ .*\nrun \S+ {2}order_desk {2}ok/);
    expect(demo.stdout).toMatch(/2 tool find_order +ok[^\n]*\n {4}3 tool lookup_order +ok/);
  });
});
