import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { prometheusMetrics } from 'nestjs-agent-logging/prometheus';
import { externalBinary } from '../support/external-binary';

const dir = join(__dirname, '..', '..', 'monitoring');
const RULES = join(dir, 'prometheus', 'agent-alerts.rules.yml');
const promtool = externalBinary('promtool', 'prometheus');
const withPromtool = promtool ? it : it.skip;

/** Every series name the Prometheus integration can expose (histograms with their _bucket, _sum and _count). */
async function exposedNames(): Promise<Set<string>> {
  const registry = new Registry();
  prometheusMetrics({ registry });
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if ((metric.type as unknown) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

/** The `agent_...` metric names a PromQL text uses (recording rules' `agent:`/`agent_tool:` names are not metrics). */
const metricNamesIn = (promql: string) => new Set([...promql.matchAll(/\bagent_[a-z_]+\b(?![:\w])/g)].map((m) => m[0]));

describe('the shipped alert rules and dashboard', () => {
  withPromtool('pass promtool check rules', () => {
    const result = spawnSync(promtool!, ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toMatch(/SUCCESS: 19 rules found/);
    expect(result.status).toBe(0);
  });

  withPromtool("pass their promtool unit tests (every alert fires on its input series, and not on the steady ones)", () => {
    const result = spawnSync(promtool!, ['test', 'rules', 'agent-alerts.test.yml'], { cwd: join(dir, 'prometheus'), encoding: 'utf8' });
    expect(result.stdout + result.stderr).toMatch(/SUCCESS/);
    expect(result.status).toBe(0);
  });

  it('use only metric names the Prometheus integration exposes, and give every alert a runbook ending in an agent-log command', async () => {
    const exposed = await exposedNames();
    const rules = readFileSync(RULES, 'utf8');
    const used = metricNamesIn(rules.replace(/^\s*#.*$/gm, ''));
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) expect(exposed).toContain(name);
    const alerts = [...rules.matchAll(/- alert: (\w+)[\s\S]*?runbook: >-\n([\s\S]*?)(?=\n\s*\n|\n\s*- alert:|$)/g)];
    expect(alerts.map((a) => a[1])).toEqual([
      'AgentToolErrorRateRising',
      'AgentRunFailureRateRising',
      'AgentRunsSlow',
      'AgentTokenSpendRising',
      'AgentCostRising',
      'AgentLoopDetected',
      'AgentEventsDropped',
    ]);
    // A folded block: its lines join with spaces. The last sentence is the command, after a colon.
    for (const [, , runbook] of alerts) expect(runbook.replace(/\s+/g, ' ').trim()).toMatch(/: agent-log (runs|show|stats) [^:`]*app\.log$/);
  });

  it('ship a Grafana dashboard over the same metrics, in the package', async () => {
    const dashboard = JSON.parse(readFileSync(join(dir, 'grafana', 'agent-runs.dashboard.json'), 'utf8')) as { panels: { type: string; targets?: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThan(10);
    const exposed = await exposedNames();
    for (const expr of exprs) for (const name of metricNamesIn(expr)) expect(exposed).toContain(name);
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('monitoring');
  });
});
