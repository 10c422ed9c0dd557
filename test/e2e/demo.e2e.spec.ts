import { spawnSync } from 'node:child_process';
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
  let demo: ReturnType<typeof spawnSync>;
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
    expect(finished.map((e) => e.stop_reason)).toEqual(['completed', 'completed', 'tool_error', 'tool_error', 'max_steps', 'completed', 'cancelled']);
    for (const f of finished) expect(events.filter((e) => e.event === 'run_started' && e.run_id === f.run_id)).toHaveLength(1);
  });

  it('ends by reading the log back with the inspector, down to the failing tool', () => {
    expect(demo.stdout).toMatch(/\$ npx agent-log runs .* --status error/);
    expect(demo.stdout).toContain('stopped: tool `create_refund` failed with PaymentGatewayTimeoutError after 4 steps');
  });
});
