'use strict';
const crypto = require('node:crypto');
// `npm run bench`: what the library costs per tool call, per run and per byte
// hashed, against baselines measured in the same process and the same run.
// Ratios, not absolute times, are what carries from one machine to another.
const { withAgentRun } = require('../dist/cjs');
const { createHasher } = require('../dist/cjs/core/hashing/hasher');
const { ARGS, appLogger, chunksOf, drainSometimes, provider, searchDocs, seedStyleRun, seedStyleTool, otelSpanTool, writeChunks } = require('./baselines');
const { startAgentApp } = require('./agent-app');
const { heapPerRun } = require('./memory');
const { measureTracedTool } = require('./traced-tool');

const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
// The machine is shared: a busy neighbour stretches wall-clock time by whole
// time slices, while the CPU time this process spends is what a call costs.
// BENCH_CLOCK=wall measures elapsed time instead.
const CLOCK = process.env.BENCH_CLOCK ?? 'cpu';
const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const µs = (ms) => ms * 1000;

async function measure(Bench, tasks, options = {}) {
  const bench = new Bench({ time: TIME_MS, warmupTime: 100, ...(CLOCK === 'cpu' ? { now: cpuNow } : {}), ...options });
  for (const [name, fn, hooks] of tasks) bench.add(name, fn, { afterEach: drainSometimes, ...hooks });
  await bench.run();
  return new Map(bench.tasks.map((t) => [t.name, t.result]));
}

const BARE = 'bare async call';
const SEED = 'seed style: 3 pino lines + sha256 by hand';
const OTEL = 'OpenTelemetry span (batch, JSON exporter)';
const TOOL = '@AgentTool (agent_step, tool_call, tool_result)';
const LLM = '@AgentLlm (agent_step, llm_result)';
const ENGINE = '@AgentTool, logger silenced (engine only)';
const TOOL_WRITES = "destination alone: @AgentTool's lines, pre-built";
const SEED_WRITES = "destination alone: the seed's lines, pre-built";
const BARE_RUN = '5 bare async calls';
const SEED_RUN = 'seed style run: 2 lines + 5 hand-logged calls';
const RUN = '@AgentRun with 5 @AgentTool calls';

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
  // tables and ratios use the median over rounds. The engine's own cost is the same
  // @AgentTool with the application's logger silenced (levels off: nothing serialised or
  // written), measured in the same rounds as the OpenTelemetry span it is compared with.
  const silenced = {
    beforeAll: () => {
      appLogger.level = 'silent';
    },
    afterAll: () => {
      appLogger.level = 'info';
    },
  };
  // The destination's own cost: the very lines of one call, pre-built, written as the call writes them.
  const [toolChunks, seedChunks] = await withAgentRun('bench_holder', async () => [
    await chunksOf(() => tools.searchDocs(ARGS)),
    await chunksOf(() => seedStyleTool(ARGS)),
  ])();
  const { tasks: perCall, ratio: callRatio } = await rounds(() =>
    withAgentRun('bench_holder', () =>
      measure(Bench, [
        [BARE, () => searchDocs(ARGS)],
        [SEED, () => seedStyleTool(ARGS)],
        [OTEL, () => otelSpanTool(ARGS)],
        [TOOL, () => tools.searchDocs(ARGS)],
        [LLM, () => model.complete(messages)],
        [ENGINE, () => tools.searchDocs(ARGS), silenced],
        [TOOL_WRITES, () => writeChunks(toolChunks)],
        [SEED_WRITES, () => writeChunks(seedChunks)],
      ]),
    )(),
  );
  const { tasks: perRun, ratio: runRatioOf } = await rounds(() =>
    measure(Bench, [
      [BARE_RUN, async () => {
        for (let i = 0; i < 5; i++) await searchDocs({ ...ARGS, page: i });
      }],
      [SEED_RUN, () => seedStyleRun(ARGS.query)],
      [RUN, () => agent.answer(ARGS.query)],
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

  // A tool call with span export on, against the events plus one hand-made span (bench/traced-tool.js).
  const traced = await measureTracedTool((tasks) => measure(Bench, tasks), ROUNDS);
  await provider.shutdown();

  const bare = µs(perCall.get(BARE).latency.mean);
  const bareRun = µs(perRun.get(BARE_RUN).latency.mean);
  console.log(`\nnestjs-agent-logging benchmarks — Node ${process.version}, ${require('node:os').cpus().length} CPUs, ${TIME_MS} ms per task, median of ${ROUNDS} rounds, ${CLOCK === 'cpu' ? 'CPU time of the process' : 'wall-clock time'}\n`);
  console.log('One tool call');
  console.table([...perCall].map(([name, r]) => row(name, r, name === BARE ? undefined : bare)));
  console.log('One run');
  console.table([...perRun].map(([name, r]) => row(name, r, name === BARE_RUN ? undefined : bareRun)));
  console.log('One tool call with OpenTelemetry spans (openTelemetry())');
  const tracedBare = µs(traced.tasks.get(BARE).latency.mean);
  console.table([...traced.tasks].map(([name, r]) => row(name, r, name === BARE ? undefined : tracedBare)));
  console.log('Hashing by argument size');
  console.table([...hashing].map(([name, r]) => row(name, r)));

  const total = (a, b) => perCall.get(a).latency.mean / perCall.get(b).latency.mean;
  const added = (name) => `${(µs(perCall.get(name).latency.mean) - bare).toFixed(2)} µs added`;
  // What @AgentTool would cost if building its lines cost nothing: its engine plus the destination's writes.
  const addedOf = (name) => µs(perCall.get(name).latency.mean) - bare;
  const floorRatio = (addedOf(ENGINE) + addedOf(TOOL_WRITES)) / addedOf(SEED);
  const goals = [
    ['@AgentTool / seed style (added cost)', callRatio(TOOL, SEED, BARE), 0.6, `${total(TOOL, SEED).toFixed(2)} in total time`],
    ['engine only / OpenTelemetry span (added cost)', callRatio(ENGINE, OTEL, BARE), 1.0, `${added(ENGINE)}, span ${added(OTEL)}`],
    [
      'floor: engine only + its destination writes / seed style',
      floorRatio,
      undefined,
      `${toolChunks.length} writes for @AgentTool's ${toolChunks.join('').split('\n').length - 1} lines, ${seedChunks.length} for the seed's`,
    ],
    ['@AgentTool / OpenTelemetry span (added cost)', callRatio(TOOL, OTEL, BARE), undefined, `${total(TOOL, OTEL).toFixed(2)} in total time`],
    ['@AgentLlm / seed style (added cost)', callRatio(LLM, SEED, BARE), undefined, added(LLM)],
    ['@AgentTool + openTelemetry() / (events + one span) (added cost)', traced.ratio, 1.0, 'span export on: at most the events plus one span'],
    ['@AgentRun of 5 tools / seed-style run (added cost)', runRatioOf(RUN, SEED_RUN, BARE_RUN), undefined, `${(µs(perRun.get(RUN).latency.mean) - bareRun).toFixed(2)} µs added`],
    ['heap per run in flight (bytes)', memory.inFlight, 2048, `${memory.rawInFlight.toFixed(0)} B with the pending call itself`],
    ['heap per finished run (bytes)', memory.finished, 64, 'GC noise aside, nothing'],
  ];
  console.log('Goals (measured in this run)');
  console.table(
    goals.map(([goal, value, limit, note]) => ({
      goal,
      measured: value < 10 ? value.toFixed(2) : value.toFixed(0),
      limit: limit === undefined ? '' : `≤ ${limit}`,
      met: limit === undefined ? '' : value <= limit ? 'yes' : `NO (${((value / limit - 1) * 100).toFixed(0)}% over)`,
      note,
    })),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
