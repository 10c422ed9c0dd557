import { LatencySketch } from './latency-sketch.js';
import { addCounts, type LogEvent } from '../reading/log-event.js';
import type { PriceTable } from '../../core/pricing/price-table.js';
import { RunSummaries, type RunSummary } from './run-summary.js';

export interface LatencyQuantiles {
  p50_ms?: number;
  p95_ms?: number;
  p99_ms?: number;
  max_ms?: number;
}

export interface ToolStats extends LatencyQuantiles {
  tool: string;
  calls: number;
  errors: number;
  cancelled: number;
  error_rate: number;
}

export interface ModelStats extends LatencyQuantiles {
  model: string;
  calls: number;
  errors: number;
  /** Sums of the counts the calls reported; absent when none did. */
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  cost_usd?: number;
}

/** One tool the loop guard caught: in how many runs, how many loop_detected events of each action. */
export interface LoopStats {
  tool: string;
  runs: number;
  warned: number;
  refused: number;
}

/** What the guards did: loops per tool, the runs they stopped, and which budget the budget stops spent. */
export interface GuardStats {
  loops: LoopStats[];
  /** Runs ended by a guard, by stop reason: max_steps, loop_detected, budget_exceeded. */
  stops: Record<string, number>;
  /** budget_exceeded runs by the limit they spent (`unknown` when the log does not say: the body answered anyway). */
  budget_limits: Record<string, number>;
}

export interface Stats {
  runs: { total: number; by_status: Record<string, number> };
  stop_reasons: Record<string, number>;
  guards: GuardStats;
  runs_per_minute: { average: number; peak: number; peak_minute?: string; per_minute: { minute: string; runs: number }[] };
  tools: ToolStats[];
  models: ModelStats[];
  slowest: RunSummary[];
  /** By cost when a price table is given, else by tokens. */
  most_expensive: RunSummary[];
  cost_usd?: number;
}

const RECENT = 10_000;
const GUARD_STOPS = new Set(['max_steps', 'loop_detected', 'budget_exceeded']);

interface Accumulator {
  calls: number;
  errors: number;
  cancelled: number;
  latency: LatencySketch;
  input?: number;
  output?: number;
  total?: number;
  cost?: number;
}

/** Keeps the `size` best items by `score`, highest first. */
class TopList {
  readonly items: RunSummary[] = [];

  constructor(
    private readonly size: number,
    private readonly score: (r: RunSummary) => number,
  ) {}

  offer(run: RunSummary): void {
    const s = this.score(run);
    if (!(s > 0) || this.size === 0) return;
    if (this.items.length === this.size && s <= this.score(this.items[this.items.length - 1])) return;
    const at = this.items.findIndex((r) => this.score(r) < s);
    this.items.splice(at === -1 ? this.items.length : at, 0, run);
    if (this.items.length > this.size) this.items.pop();
  }
}

/**
 * `stats` in one streaming pass: per-run state lives only until the run's
 * run_finished, then is folded into counters, latency sketches and the
 * top lists. Memory: the runs in flight, plus one sketch per tool and model.
 */
export class RunStats {
  /** Events stats never looks at: `readEvents` may skip parsing them. */
  static readonly IGNORED = ['agent_step', 'tool_call'] as const;

  private readonly runs: RunSummaries;
  private readonly tools = new Map<string, Accumulator>();
  private readonly models = new Map<string, Accumulator>();
  private readonly stopReasons = new Map<string, number>();
  private readonly byStatus = new Map<string, number>();
  private readonly perMinute = new Map<number, number>();
  private readonly loops = new Map<string, LoopStats>();
  /** The tools each run in flight looped on, to count runs per tool once. */
  private readonly loopedTools = new Map<string, Set<string>>();
  private readonly guardStops = new Map<string, number>();
  private readonly budgetLimits = new Map<string, number>();
  private readonly slowest: TopList;
  private readonly expensive: TopList;
  private total = 0;
  /**
   * Runs finished lately: a step may end after its run (an abandoned stream's
   * model call), and its late event must not bring the run back as unfinished.
   */
  private readonly recentlyFinished = new Set<string>();

  constructor(
    top: number,
    private readonly prices?: PriceTable,
  ) {
    this.runs = new RunSummaries(prices);
    this.slowest = new TopList(top, (r) => r.latency_ms ?? 0);
    this.expensive = new TopList(top, prices ? (r) => r.cost_usd ?? 0 : (r) => r.tokens ?? 0);
  }

  add(e: LogEvent): void {
    if (this.recentlyFinished.has(e.run_id)) {
      if (e.event === 'tool_result') this.step(this.tools, e.tool, e);
      if (e.event === 'llm_result') this.step(this.models, e.model, e);
      return;
    }
    const run = this.runs.add(e);
    switch (e.event) {
      case 'run_started': {
        const minute = Math.floor(e.time / 60_000);
        this.perMinute.set(minute, (this.perMinute.get(minute) ?? 0) + 1);
        break;
      }
      case 'tool_result':
        this.step(this.tools, e.tool, e);
        break;
      case 'llm_result':
        this.step(this.models, e.model, e);
        break;
      case 'loop_detected':
        this.loop(e);
        break;
      case 'run_finished':
        this.fold(run);
        this.runs.byId.delete(run.run_id);
        this.recentlyFinished.add(run.run_id);
        if (this.recentlyFinished.size > RECENT) this.recentlyFinished.delete(this.recentlyFinished.values().next().value!);
        break;
    }
  }

  private step(map: Map<string, Accumulator>, name = '?', e: LogEvent) {
    let acc = map.get(name);
    if (!acc) {
      acc = { calls: 0, errors: 0, cancelled: 0, latency: new LatencySketch() };
      map.set(name, acc);
    }
    acc.calls++;
    if (e.status === 'error') acc.errors++;
    if (e.status === 'cancelled') acc.cancelled++;
    if (e.latency_ms !== undefined) acc.latency.add(e.latency_ms);
    if (e.token_usage) {
      acc.input = addCounts(acc.input, e.token_usage.input_tokens);
      acc.output = addCounts(acc.output, e.token_usage.output_tokens);
      acc.total = addCounts(acc.total, e.token_usage.total_tokens);
      const cost = this.prices?.cost(name, e.token_usage);
      if (cost !== undefined) acc.cost = (acc.cost ?? 0) + cost;
    }
  }

  private loop(e: LogEvent) {
    const tool = e.tool ?? '?';
    let row = this.loops.get(tool);
    if (!row) {
      row = { tool, runs: 0, warned: 0, refused: 0 };
      this.loops.set(tool, row);
    }
    if (e.action === 'refused') row.refused++;
    else row.warned++;
    let tools = this.loopedTools.get(e.run_id);
    if (!tools) this.loopedTools.set(e.run_id, (tools = new Set()));
    if (!tools.has(tool)) {
      tools.add(tool);
      row.runs++;
    }
  }

  private fold(run: RunSummary) {
    this.loopedTools.delete(run.run_id);
    if (run.stop_reason !== undefined && GUARD_STOPS.has(run.stop_reason)) {
      this.guardStops.set(run.stop_reason, (this.guardStops.get(run.stop_reason) ?? 0) + 1);
      if (run.stop_reason === 'budget_exceeded') {
        const limit = run.budget?.limit ?? 'unknown';
        this.budgetLimits.set(limit, (this.budgetLimits.get(limit) ?? 0) + 1);
      }
    }
    this.total++;
    this.byStatus.set(run.status, (this.byStatus.get(run.status) ?? 0) + 1);
    const reason = run.stop_reason ?? '(none)';
    this.stopReasons.set(reason, (this.stopReasons.get(reason) ?? 0) + 1);
    this.slowest.offer(run);
    this.expensive.offer(run);
  }

  result(): Stats {
    for (const run of this.runs.byId.values()) this.fold(run); // never finished: counted as `unfinished`
    this.runs.byId.clear();
    const minutes = [...this.perMinute.entries()].sort((a, b) => a[0] - b[0]);
    const span = minutes.length ? minutes[minutes.length - 1][0] - minutes[0][0] + 1 : 0;
    const started = minutes.reduce((n, [, c]) => n + c, 0);
    const peak = minutes.reduce<[number, number] | undefined>((best, m) => (!best || m[1] > best[1] ? m : best), undefined);
    const quantiles = (s: LatencySketch): LatencyQuantiles => ({
      p50_ms: round(s.quantile(0.5)), p95_ms: round(s.quantile(0.95)), p99_ms: round(s.quantile(0.99)),
      max_ms: round(s.count ? s.max : undefined),
    });
    const byCalls = <T extends { calls: number }>(a: T, b: T) => b.calls - a.calls;
    const models = [...this.models.entries()].map(([model, a]) => ({
      model, calls: a.calls, errors: a.errors, input_tokens: a.input, output_tokens: a.output, total_tokens: a.total,
      ...quantiles(a.latency), ...(a.cost !== undefined ? { cost_usd: a.cost } : {}),
    }));
    const costs = models.filter((m) => m.cost_usd !== undefined);
    return {
      runs: { total: this.total, by_status: Object.fromEntries(this.byStatus) },
      stop_reasons: Object.fromEntries([...this.stopReasons.entries()].sort((a, b) => b[1] - a[1])),
      guards: {
        loops: [...this.loops.values()].sort((a, b) => b.warned + b.refused - (a.warned + a.refused) || b.runs - a.runs),
        stops: Object.fromEntries([...this.guardStops.entries()].sort((a, b) => b[1] - a[1])),
        budget_limits: Object.fromEntries(this.budgetLimits),
      },
      runs_per_minute: {
        average: span ? Math.round((started / span) * 100) / 100 : 0,
        peak: peak?.[1] ?? 0,
        peak_minute: peak ? new Date(peak[0] * 60_000).toISOString() : undefined,
        per_minute: minutes.map(([m, runs]) => ({ minute: new Date(m * 60_000).toISOString(), runs })),
      },
      tools: [...this.tools.entries()]
        .map(([tool, a]) => ({
          tool, calls: a.calls, errors: a.errors, cancelled: a.cancelled,
          error_rate: a.calls ? Math.round((a.errors / a.calls) * 10_000) / 10_000 : 0, ...quantiles(a.latency),
        }))
        .sort(byCalls),
      models: models.sort(byCalls),
      slowest: this.slowest.items,
      most_expensive: this.expensive.items,
      ...(costs.length ? { cost_usd: costs.reduce((n, m) => n + m.cost_usd!, 0) } : {}),
    };
  }
}

function round(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 1000) / 1000;
}
