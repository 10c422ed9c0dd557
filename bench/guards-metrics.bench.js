'use strict';
// Part of `npm run bench`: what the loop guard, the budgets and the metrics
// integrations add to one tool call, against the same @AgentTool without
// them, measured in the same process and the same rounds. Goal: at most 1 µs
// added with metrics and guards all on.
const { Registry } = require('prom-client');
const { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } = require('@opentelemetry/sdk-metrics');
const { withAgentRun, withAgentTool } = require('../dist/cjs');
const { Engine } = require('../dist/cjs/core/engine');
const { PriceTable } = require('../dist/cjs/core/pricing/price-table');
const { currentFrame, runInFrame } = require('../dist/cjs/core/run-context');
const { createPinoSink } = require('../dist/cjs/core/sink/pino-sink');
const { prometheusMetrics } = require('../dist/cjs/prometheus');
const { openTelemetryMetrics } = require('../dist/cjs/opentelemetry-metrics');
const pino = require('pino');
const { ARGS, searchDocs } = require('./baselines');

const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const tool = withAgentTool('search_docs', (args) => searchDocs(args));
const prices = { 'gpt-4o-mini': { input: 0.15, output: 0.6 } };
const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
const meterProvider = new MeterProvider({ readers: [reader] });

// Events are built and handed to the sink and the integrations as usual, but
// pino writes nothing: the difference between configurations is what the
// guards and the metrics cost, without the noise of a shared machine's I/O.
const silent = pino({ level: 'silent' });

/** One engine per configuration. */
function engine(config) {
  const made = new Engine({ ...config, sink: createPinoSink(() => silent, (err) => made.dropped(err)) });
  return made;
}

const guards = { loopGuard: { consecutive: 3, window: 20, windowRepeats: 5 }, maxTokens: 1_000_000, maxCostUsd: 100, prices: new PriceTable(prices) };
const BASE = '@AgentTool, no guards, no metrics (baseline)';
const GUARDS = '+ loop guard (3 in a row, window 20) and budgets';
const PROM = '+ guards and Prometheus metrics';
const OTEL = '+ guards and OpenTelemetry metrics (SDK, in-memory reader)';
const CONFIGS = [
  [BASE, {}],
  // A second engine with the same (no) options: how far apart two identical rows land on this machine.
  ['the same again (noise)', {}],
  [GUARDS, guards],
  ['+ Prometheus metrics', { integrations: [prometheusMetrics({ registry: new Registry() })] }],
  [PROM, { ...guards, integrations: [prometheusMetrics({ registry: new Registry() })] }],
  [OTEL, { ...guards, integrations: [openTelemetryMetrics({ meterProvider })] }],
];

/** A run of `e` that stays open; its frame is where the tool calls of that task are made. */
async function holderFrame(e) {
  e.install();
  let frame;
  withAgentRun('bench_holder', () => {
    frame = currentFrame();
    return new Promise(() => undefined);
  })();
  e.uninstall();
  return frame;
}

async function main() {
  const { Bench } = await import('tinybench');
  const tasks = [];
  for (const [name, config] of CONFIGS) {
    const e = engine(config);
    tasks.push({ name, engine: e, frame: await holderFrame(e) });
  }
  const results = [];
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: TIME_MS, warmupTime: 100 });
    for (const task of tasks) {
      bench.add(task.name, () => runInFrame(task.frame, () => tool(ARGS)), {
        // The engine of the task is the installed one while it runs.
        beforeAll: () => task.engine.install(),
        afterAll: () => task.engine.uninstall(),
      });
    }
    await bench.run();
    // The median call, not the mean: on a shared machine a few descheduled calls move the mean by microseconds.
    results.push(new Map(bench.tasks.map((t) => [t.name, t.result.latency.p50 * 1000])));
  }
  const base = BASE;
  const rows = CONFIGS.map(([name]) => {
    const mean = median(results.map((r) => r.get(name)));
    const added = median(results.map((r) => r.get(name) - r.get(base)));
    return { task: name, 'p50 µs': mean.toFixed(2), 'added µs': name === base ? '' : added.toFixed(2), ratio: (mean / median(results.map((r) => r.get(base)))).toFixed(3) };
  });
  console.log(`\nGuards and metrics on one tool call (logger silenced) — Node ${process.version}, ${TIME_MS} ms per task, median of ${ROUNDS} rounds\n`);
  console.table(rows);
  const added = (name) => median(results.map((r) => r.get(name) - r.get(base)));
  const goal = (what, name) => {
    const value = added(name);
    return { goal: what, measured: value.toFixed(2), limit: '≤ 1', met: value <= 1 ? 'yes' : `NO (${((value - 1) * 1000).toFixed(0)} ns over)` };
  };
  console.log('Goals (measured in this run)');
  console.table([goal('guards + Prometheus metrics, added per tool call (µs)', PROM), goal('guards + OpenTelemetry metrics, added per tool call (µs)', OTEL)]);
  console.log('OpenTelemetry: every count is pre-aggregated; what is left is the SDK\'s own record() of gen_ai.execute_tool.duration (one per tool call).');
  await meterProvider.shutdown();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
