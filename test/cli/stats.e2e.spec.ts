import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliJson, produceLog, runCli, type ProducedLog } from './support/produce-log';

interface StatsJson {
  runs: { total: number; by_status: Record<string, number> };
  stop_reasons: Record<string, number>;
  runs_per_minute: { average: number; peak: number; per_minute: { minute: string; runs: number }[] };
  tools: { tool: string; calls: number; errors: number; cancelled: number; error_rate: number; p50_ms: number; p95_ms: number; p99_ms: number; max_ms: number }[];
  models: { model: string; calls: number; errors: number; input_tokens: number; output_tokens: number; total_tokens: number; p50_ms: number; cost_usd?: number }[];
  slowest: { run_id: string; latency_ms: number }[];
  most_expensive: { run_id: string; tokens: number; cost_usd?: number }[];
  cost_usd?: number;
}

let log: ProducedLog;
let stats: StatsJson;
beforeAll(async () => {
  log = await produceLog();
  stats = cliJson<StatsJson>(['stats', log.file]);
});
afterAll(() => rmSync(log.dir, { recursive: true, force: true }));

/** Nearest-rank quantile over the exact values: the oracle for the CLI's sketch (within 1%). */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

describe('agent-log stats', () => {
  it('counts calls, errors and latency quantiles per tool, from the tool_result events', () => {
    const results = log.events.filter((e) => e.event === 'tool_result');
    const tools = [...new Set(results.map((e) => e.tool as string))];
    expect(stats.tools.map((t) => t.tool).sort()).toEqual([...tools, '\u001b]0;pwned\u0007<script>document.title="pwned"</script>'].sort());
    for (const tool of tools) {
      const mine = results.filter((e) => e.tool === tool);
      const row = stats.tools.find((t) => t.tool === tool)!;
      const errors = mine.filter((e) => e.status === 'error').length;
      expect(row).toMatchObject({ calls: mine.length, errors, error_rate: Math.round((errors / mine.length) * 10_000) / 10_000 });
      const latencies = mine.map((e) => e.latency_ms as number);
      for (const [q, key] of [[0.5, 'p50_ms'], [0.95, 'p95_ms'], [0.99, 'p99_ms']] as const) {
        expect(Math.abs(row[key] - quantile(latencies, q))).toBeLessThanOrEqual(quantile(latencies, q) * 0.01 + 0.001);
      }
      expect(row.max_ms).toBeCloseTo(Math.max(...latencies), 3);
    }
    expect(stats.tools.find((t) => t.tool === 'refund')).toMatchObject({ calls: 1, errors: 1, error_rate: 1 });
  });

  it('sums tokens per model and counts stop reasons and runs', () => {
    const llm = log.events.filter((e) => e.event === 'llm_result' && e.model === 'gpt-4o-mini');
    const usage = llm.map((e) => (e.token_usage as { input_tokens: number; output_tokens: number; total_tokens: number } | undefined) ?? { input_tokens: 0, output_tokens: 0, total_tokens: 0 });
    expect(stats.models.find((m) => m.model === 'gpt-4o-mini')).toMatchObject({
      calls: llm.length,
      input_tokens: usage.reduce((n, u) => n + u.input_tokens, 0),
      output_tokens: usage.reduce((n, u) => n + u.output_tokens, 0),
      total_tokens: usage.reduce((n, u) => n + u.total_tokens, 0),
    });
    // The OpenTelemetry-named run: gen_ai.* attributes read as ours.
    expect(stats.models.find((m) => m.model === 'claude-sonnet')).toMatchObject({ calls: 1, errors: 1, input_tokens: 11, output_tokens: 4, total_tokens: 15 });

    const finished = log.events.filter((e) => e.event === 'run_finished');
    const reasons: Record<string, number> = { tool_error: 1, step_error: 1 }; // the two hand-made runs
    for (const e of finished) reasons[e.stop_reason as string] = (reasons[e.stop_reason as string] ?? 0) + 1;
    expect(stats.stop_reasons).toEqual(reasons);
    expect(stats.runs.total).toBe(finished.length + 2);
    expect(stats.runs.by_status).toEqual({ ok: 3, error: 4, cancelled: 2 });
    expect(stats.runs_per_minute.per_minute.reduce((n, m) => n + m.runs, 0)).toBe(finished.length + 2);
  });

  it('lists the slowest and the most expensive runs, and prices them with a price table', () => {
    const finished = log.events.filter((e) => e.event === 'run_finished');
    const slowest = [...finished].sort((a, b) => (b.total_latency_ms as number) - (a.total_latency_ms as number))[0];
    expect(stats.slowest[0].run_id).toBe(slowest.run_id);
    const latencies = stats.slowest.map((r) => r.latency_ms);
    expect(latencies).toEqual([...latencies].sort((a, b) => b - a));

    const prices = join(log.dir, 'prices.json');
    writeFileSync(prices, JSON.stringify({ 'gpt-4o': { input: 2.5, output: 10 }, 'gpt-4o-mini': { input: 0.15, output: 0.6 } }));
    const priced = cliJson<StatsJson>(['stats', log.file, '--prices', prices]);
    const mini = priced.models.find((m) => m.model === 'gpt-4o-mini')!;
    expect(mini.cost_usd).toBeCloseTo((mini.input_tokens * 0.15 + mini.output_tokens * 0.6) / 1e6, 12); // the longest matching key
    expect(priced.models.find((m) => m.model === 'claude-sonnet')!.cost_usd).toBeUndefined();
    expect(priced.cost_usd).toBeCloseTo(mini.cost_usd!, 12);
    const costs = priced.most_expensive.map((r) => r.cost_usd!);
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
    expect(costs[0]).toBeCloseTo((100 * 0.15 + 20 * 0.6) / 1e6, 12); // one model call: a run's own calls, nested runs apart

    writeFileSync(prices, JSON.stringify({ 'gpt-4o-mini': { input: 'cheap' } }));
    const bad = runCli(['stats', log.file, '--prices', prices]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('--prices');
    expect(bad.stderr).toContain('"gpt-4o-mini"');
  });

  it('narrows to one agent or a time range', () => {
    const refunds = cliJson<StatsJson>(['stats', log.file, '--agent', 'refunds']);
    expect(refunds.runs.total).toBe(1);
    expect(refunds.tools.map((t) => t.tool).sort()).toEqual(['lookup_order', 'refund']);
    const future = cliJson<StatsJson>(['stats', log.file, '--since', '2029-01-01T00:00:00Z']);
    expect(future.runs.total).toBe(2); // the two hand-made runs of 2030
    expect(cliJson<StatsJson>(['stats', log.file, '--until', '2000-01-01']).runs.total).toBe(0);
  });

  it('prints the sections as text', () => {
    const text = runCli(['stats', log.file]).stdout;
    for (const heading of ['tools', 'models', 'slowest runs', 'most expensive runs (by tokens)']) expect(text).toContain(`\n${heading}\n`);
    expect(text).toMatch(/refund\s+1\s+1\s+100\.0%/);
    expect(text).toMatch(/stop reasons: .*tool_error 2/);
    // Counts agree with their nouns: one run is "1 run".
    expect(runCli(['stats', log.file, '--agent', 'refunds']).stdout).toMatch(/^1 run \(/m);
    expect(runCli(['stats', log.file, '--until', '2000-01-01']).stdout).toBe('no run matches\n');
  });
});
