'use strict';
// A tool call with span export on (the openTelemetry() integration) against
// what it should cost at most: the events of a plain @AgentTool plus one
// OpenTelemetry span made by hand, each round measuring both apps back to back.
const { withAgentRun } = require('../dist/cjs');
const { registry } = require('../dist/cjs/core/registry');
const { openTelemetry } = require('../dist/cjs/opentelemetry');
const { startAgentApp } = require('./agent-app');
const { ARGS, searchDocs, otelSpanTool } = require('./baselines');

const BARE = 'bare async call';
const PLAIN = '@AgentTool';
const SPAN = 'OpenTelemetry span (batch, JSON exporter)';
const TRACED = '@AgentTool + openTelemetry() (events + span)';

/**
 * `measure(tasks)` is run.js's measuring of one group; the result is the
 * median per task over `rounds` rounds, and the median over rounds of the
 * traced call's added cost over the plain call's plus the span's.
 */
async function measureTracedTool(measure, rounds) {
  const plain = await startAgentApp();
  const plainEngine = registry.engine;
  // Same exporter, same batch processor as the hand-made span: the global provider baselines.js registered.
  const traced = await startAgentApp(undefined, [openTelemetry()]);
  const tracedEngine = registry.engine;
  const results = [];
  for (let i = 0; i < rounds; i++) {
    // Steps belong to the run they are called in, and a run to the engine installed when it opened.
    plainEngine.install();
    const p = await withAgentRun('bench_holder', () => measure([[BARE, () => searchDocs(ARGS)], [PLAIN, () => plain.tools.searchDocs(ARGS)]]))();
    tracedEngine.install();
    const t = await withAgentRun('bench_holder', () =>
      measure([[BARE, () => searchDocs(ARGS)], [SPAN, () => otelSpanTool(ARGS)], [TRACED, () => traced.tools.searchDocs(ARGS)]]),
    )();
    results.push({ p, t });
  }
  await traced.app.close();
  await plain.app.close();
  const mean = (r, name) => r.get(name).latency.mean;
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const ratio = median(
    results.map(({ p, t }) => (mean(t, TRACED) - mean(t, BARE)) / (mean(p, PLAIN) - mean(p, BARE) + (mean(t, SPAN) - mean(t, BARE)))),
  );
  const pick = (group, name) => ({ latency: Object.fromEntries(['mean', 'p50', 'p99', 'samplesCount'].map((s) => [s, median(results.map((r) => r[group].get(name).latency[s]))])) });
  const tasks = new Map([
    [BARE, pick('t', BARE)],
    [PLAIN, pick('p', PLAIN)],
    [SPAN, pick('t', SPAN)],
    [TRACED, pick('t', TRACED)],
  ]);
  return { tasks, ratio };
}

module.exports = { measureTracedTool };
