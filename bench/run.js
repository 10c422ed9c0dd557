'use strict';
const crypto = require('node:crypto');
const pino = require('pino');
// `npm run bench`: what the library costs per tool call, per run and per byte
// hashed, against baselines measured in the same process and the same run.
// Ratios, not absolute times, are what carries from one machine to another.
const { withAgentRun } = require('../dist/cjs');
const { createHasher } = require('../dist/cjs/core/hashing/hasher');
const { ARGS, drainSometimes, provider, searchDocs, seedStyleRun, seedStyleTool, otelSpanTool } = require('./baselines');
const { startAgentApp } = require('./agent-app');
const { heapPerRun } = require('./memory');
const { measureTracedTool } = require('./traced-tool');

const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const µs = (ms) => ms * 1000;

async function measure(Bench, tasks, options = {}) {
  const bench = new Bench({ time: TIME_MS, warmupTime: 100, ...options });
  for (const [name, fn] of tasks) bench.add(name, fn, { afterEach: drainSometimes });
  await bench.run();
  return new Map(bench.tasks.map((t) => [t.name, t.result]));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Runs a group of tasks ROUNDS times; per task, the median of each statistic
 * over the rounds. `ratio(a, b, base)` is the median over rounds of a's added
 * cost over b's, both measured in the same round.
 */
async function rounds(group) {
  const results = [];
  for (let i = 0; i < ROUNDS; i++) results.push(await group());
  const mean = (r, name) => r.get(name).latency.mean;
  const ratio = (a, b, base) => median(results.map((r) => (mean(r, a) - mean(r, base)) / (mean(r, b) - mean(r, base))));
  const merged = new Map();
  for (const name of results[0].keys()) {
    const pick = (stat) => median(results.map((r) => r.get(name).latency[stat]));
    merged.set(name, { latency: { mean: pick('mean'), p50: pick('p50'), p99: pick('p99'), samplesCount: pick('samplesCount') } });
  }
  return { tasks: merged, ratio };
}

function row(name, result, base) {
  const mean = µs(result.latency.mean);
  return {
    task: name,
    'mean µs': mean.toFixed(2),
    'p50 µs': µs(result.latency.p50).toFixed(2),
    'p99 µs': µs(result.latency.p99).toFixed(2),
    'added µs': base === undefined ? '' : (mean - base).toFixed(2),
    samples: result.latency.samplesCount,
  };
}

async function main() {
  const { Bench } = await import('tinybench');
  const { app, tools, model, agent } = await startAgentApp();
  const messages = [{ role: 'user', content: 'where is my order A-1001?' }];

  // One tool call. The decorated ones run inside an open run, as they do in an agent. The
  // machine is shared and noisy: each group runs ROUNDS times, tasks interleaved, and the
  // tables and ratios use the median over rounds.
  const { tasks: perCall, ratio: callRatio } = await rounds(() =>
    withAgentRun('bench_holder', () =>
      measure(Bench, [
        ['bare async call', () => searchDocs(ARGS)],
        ['seed style: 3 pino lines + sha256 by hand', () => seedStyleTool(ARGS)],
        ['OpenTelemetry span (batch, JSON exporter)', () => otelSpanTool(ARGS)],
        ['@AgentTool (agent_step, tool_call, tool_result)', () => tools.searchDocs(ARGS)],
        ['@AgentLlm (agent_step, llm_result)', () => model.complete(messages)],
      ]),
    )(),
  );
  const { tasks: perRun, ratio: runRatioOf } = await rounds(() =>
    measure(Bench, [
      ['5 bare async calls', async () => {
        for (let i = 0; i < 5; i++) await searchDocs({ ...ARGS, page: i });
      }],
      ['seed style run: 2 lines + 5 hand-logged calls', () => seedStyleRun(ARGS.query)],
      ['@AgentRun with 5 @AgentTool calls', () => agent.answer(ARGS.query)],
    ]),
  );

  const hasher = createHasher({});
  const sized = (bytes) => ({ query: 'x'.repeat(bytes) });
  const inputs = [
    ['100 B', sized(100)],
    ['10 KB', sized(10 * 1024)],
    ['1 MB', sized(1024 * 1024)],
    ['50 MB (capped)', sized(50 * 1024 * 1024)],
  ];
  // For reference, what plain JSON and a one-shot SHA-256 cost on the same input (no canonical form, no cap).
  const oneShot = (value) => crypto.createHash('sha256').update(JSON.stringify(value)).digest('hex');
  const hashing = await measure(
    Bench,
    inputs.flatMap(([label, value]) => [
      [`engine hasher, ${label}`, () => hasher(value)],
      ...(label.startsWith('50') ? [] : [[`JSON.stringify + sha256, ${label}`, () => oneShot(value)]]),
    ]),
    { time: 500, iterations: 5, warmupIterations: 1 },
  );

  const memory = await heapPerRun(agent, 5_000);
  await app.close();

  // Where the time goes: the same @AgentTool with pino silenced (levels off, nothing
  // serialised or written) is the engine's own cost: context, ids, two hashes, events built.
  const silent = await startAgentApp(pino({ level: 'silent' }));
  const { tasks: engineOnly } = await rounds(() =>
    withAgentRun('bench_holder', () =>
      measure(Bench, [
        ['bare async call', () => searchDocs(ARGS)],
        ['@AgentTool, logger silenced (engine only)', () => silent.tools.searchDocs(ARGS)],
      ]),
    )(),
  );
  await silent.app.close();
  perCall.set('@AgentTool, logger silenced (engine only)', engineOnly.get('@AgentTool, logger silenced (engine only)'));
  // A tool call with span export on, against the events plus one hand-made span (bench/traced-tool.js).
  const traced = await measureTracedTool((tasks) => measure(Bench, tasks), ROUNDS);
  await provider.shutdown();

  const bare = µs(perCall.get('bare async call').latency.mean);
  const bareRun = µs(perRun.get('5 bare async calls').latency.mean);
  console.log(`\nnestjs-agent-logging benchmarks — Node ${process.version}, ${require('node:os').cpus().length} CPUs, ${TIME_MS} ms per task, median of ${ROUNDS} rounds\n`);
  console.log('One tool call');
  console.table([...perCall].map(([name, r]) => row(name, r, name === 'bare async call' ? undefined : bare)));
  console.log('One run');
  console.table([...perRun].map(([name, r]) => row(name, r, name === '5 bare async calls' ? undefined : bareRun)));
  console.log('One tool call with OpenTelemetry spans (openTelemetry())');
  const tracedBare = µs(traced.tasks.get('bare async call').latency.mean);
  console.table([...traced.tasks].map(([name, r]) => row(name, r, name === 'bare async call' ? undefined : tracedBare)));
  console.log('Hashing by argument size');
  console.table([...hashing].map(([name, r]) => row(name, r)));

  const TOOL = '@AgentTool (agent_step, tool_call, tool_result)';
  const SEED = 'seed style: 3 pino lines + sha256 by hand';
  const OTEL = 'OpenTelemetry span (batch, JSON exporter)';
  const BARE = 'bare async call';
  const total = (a, b) => perCall.get(a).latency.mean / perCall.get(b).latency.mean;
  const goals = [
    ['@AgentTool / seed style (added cost)', callRatio(TOOL, SEED, BARE), 0.8, `${total(TOOL, SEED).toFixed(2)} in total time`],
    ['@AgentTool / OpenTelemetry span (added cost)', callRatio(TOOL, OTEL, BARE), 1.0, `${total(TOOL, OTEL).toFixed(2)} in total time`],
    ['@AgentTool + openTelemetry() / (events + one span) (added cost)', traced.ratio, 1.0, 'span export on: at most the events plus one span'],
    ['heap per run in flight (bytes)', memory.inFlight, 2048, `${memory.rawInFlight.toFixed(0)} B with the pending call itself`],
    ['heap per finished run (bytes)', memory.finished, 64, 'GC noise aside, nothing'],
  ];
  const runRatio = runRatioOf('@AgentRun with 5 @AgentTool calls', 'seed style run: 2 lines + 5 hand-logged calls', '5 bare async calls');
  console.log('Goals (measured in this run)');
  console.table(
    goals.map(([goal, value, limit, note]) => ({
      goal,
      measured: value < 10 ? value.toFixed(2) : value.toFixed(0),
      limit: `≤ ${limit}`,
      met: value <= limit ? 'yes' : `NO (${((value / limit - 1) * 100).toFixed(0)}% over)`,
      note,
    })),
  );
  console.log(`A whole run (5 tool calls) costs ${runRatio.toFixed(2)}× the seed-style run in added time (no goal set).`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
