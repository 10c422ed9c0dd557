'use strict';
// The baselines @AgentTool is measured against, all writing to the same
// asynchronous pino destination on /dev/null as the library does.
const crypto = require('node:crypto');
const { performance } = require('node:perf_hooks');
const pino = require('pino');
const { context, trace } = require('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');

const { agentLogMixin } = require('../dist/cjs');

const destination = pino.destination({ dest: '/dev/null', sync: false });
/** The logger of the hand-written baseline: plain pino, as the seed document uses it. */
const logger = pino(destination);
/** The application's logger the library writes through: pino's defaults, with agentLogMixin installed as the README says. */
const appLogger = pino({ mixin: agentLogMixin }, destination);

/**
 * A benchmark loop never leaves the microtask queue, so the destination's
 * asynchronous writes would never complete and lines would pile up in memory
 * (and in the garbage collector's time). Every so often, outside the timed
 * region, let the event loop write them out, as it does between requests.
 */
const DRAIN_EVERY = Number(process.env.BENCH_DRAIN_EVERY ?? 64);
let iterations = 0;
async function drainSometimes() {
  if (++iterations % DRAIN_EVERY !== 0) return;
  await drained();
}

/** Resolves once the destination holds nothing more to write. */
async function drained() {
  // sonic-boom's count of bytes not yet written: no public accessor.
  while (destination._len > 0) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * The chunks `fn` hands the destination, captured on one call: what a task
 * that only writes pre-built lines replays, to show the destination's own
 * share of a call's cost.
 */
async function chunksOf(fn) {
  const chunks = [];
  const write = destination.write;
  destination.write = function (chunk) {
    chunks.push(String(chunk));
    return write.call(this, chunk);
  };
  try {
    await fn();
  } finally {
    destination.write = write;
  }
  return chunks;
}

/** Writes pre-built chunks, one write each. */
function writeChunks(chunks) {
  for (const chunk of chunks) destination.write(chunk);
}

const ARGS = { query: 'where is my order A-1001?', customer: 'cus_42', limit: 5 };

/** The tool itself: an async call with a small result. */
async function searchDocs(args) {
  return { hits: 3, top: 'Shipping times', query: args.query };
}

/**
 * The same call logged by hand the way the seed document does it: three
 * pino lines carrying run_id and trace_id, and a SHA-256 of the JSON args.
 */
const seedRun = { run_id: crypto.randomUUID(), trace_id: crypto.randomBytes(16).toString('hex') };
let seedStep = 0;
async function seedStyleTool(args) {
  const step = ++seedStep;
  const { run_id, trace_id } = seedRun;
  logger.info({ event: 'agent_step', run_id, trace_id, step, tool: 'search_docs' });
  const args_hash = crypto.createHash('sha256').update(JSON.stringify(args)).digest('hex');
  logger.info({ event: 'tool_call', run_id, trace_id, step, tool: 'search_docs', args_hash });
  const started = performance.now();
  try {
    const result = await searchDocs(args);
    logger.info({ event: 'tool_result', run_id, trace_id, step, tool: 'search_docs', status: 'ok', latency_ms: performance.now() - started });
    return result;
  } catch (err) {
    logger.error({ event: 'tool_result', run_id, trace_id, step, tool: 'search_docs', status: 'error', latency_ms: performance.now() - started });
    throw err;
  }
}

/** A whole run by hand: a start line, five hand-logged tool calls, an end line. */
async function seedStyleRun(question) {
  logger.info({ event: 'run_started', run_id: seedRun.run_id, trace_id: seedRun.trace_id, agent: 'bench_agent' });
  for (let i = 0; i < 5; i++) await seedStyleTool({ ...ARGS, query: question, page: i });
  logger.info({ event: 'run_finished', run_id: seedRun.run_id, trace_id: seedRun.trace_id, status: 'ok' });
}

/** An exporter that does the work a real one does per span (serialise it) and discards the result. */
const jsonExporter = {
  bytes: 0,
  export(spans, done) {
    for (const span of spans) {
      const ctx = span.spanContext();
      this.bytes += JSON.stringify({
        traceId: ctx.traceId,
        spanId: ctx.spanId,
        parentSpanId: span.parentSpanContext?.spanId,
        name: span.name,
        kind: span.kind,
        startTime: span.startTime,
        endTime: span.endTime,
        attributes: span.attributes,
        status: span.status,
        events: span.events,
      }).length;
    }
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
};

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
// A queue large enough that no span is dropped: every span is serialised, as every log line is written.
const provider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(jsonExporter, { maxQueueSize: 100_000, maxExportBatchSize: 512, scheduledDelayMillis: 50 })],
});
trace.setGlobalTracerProvider(provider);
const tracer = trace.getTracer('bench');

/** The same call wrapped in an OpenTelemetry span. */
function otelSpanTool(args) {
  return tracer.startActiveSpan('execute_tool search_docs', async (span) => {
    span.setAttribute('gen_ai.tool.name', 'search_docs');
    try {
      return await searchDocs(args);
    } finally {
      span.end();
    }
  });
}

module.exports = { chunksOf, writeChunks, drainSometimes, drained, logger, appLogger, ARGS, searchDocs, seedStyleTool, seedStyleRun, otelSpanTool, provider };
