#!/usr/bin/env node
// The run inspector on a big log: generates INSPECTOR_BENCH_MB (default 1024)
// of realistic NDJSON (interleaved concurrent runs, nested runs, failures, the
// app's own log lines), then times, pair by pair (A B A B ..., the ratio taken
// per pair so that a machine whose speed drifts still gives a fair one):
//   show <run_id> (seeks)            against   grep <run_id> file | jq -s .
//   show --scan-all (full read)      against   the same
//   show <request id>, <trace id>    against   grep <id> file | jq -s .
//   cat file | show <run_id>         against   cat file | grep <run_id> | jq -s .
//   show <run_id> file.gz            against   zcat file.gz | grep <run_id> | jq -s .
//   stats, runs                      against   wc -l file (the cost of reading it at all)
// and prints the ratios and each command's peak memory. Needs the build, grep,
// jq and gzip. Run: `npm run bench:inspector`, or `INSPECTOR_BENCH_MB=200 node
// bench/inspector.bench.js` (INSPECTOR_BENCH_REPEAT, default 5; INSPECTOR_BENCH_DIR
// keeps the generated files there and reuses them).
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const MB = Number(process.env.INSPECTOR_BENCH_MB ?? 1024);
const REPEAT = Number(process.env.INSPECTOR_BENCH_REPEAT ?? 5);
const CLI = path.join(__dirname, '..', 'dist', 'cjs', 'cli', 'main.js');
if (!existsSync(CLI)) {
  console.error('build first: npm run build');
  process.exit(1);
}

// A small deterministic PRNG (mulberry32): the same file every time.
let seed = 0x2f6b1d;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const hex = (n) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
const pick = (list) => list[Math.floor(random() * list.length)];
const uuid7 = (ms) => {
  const t = Math.floor(ms).toString(16).padStart(12, '0');
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
};

const TOOLS = ['lookup_order', 'search_docs', 'create_refund', 'get_invoice', 'update_address'];
const AGENTS = ['support', 'billing', 'triage'];
const ERRORS = { lookup_order: 'OrderNotFoundError', create_refund: 'PaymentGatewayTimeoutError', get_invoice: 'TimeoutError' };

/** One run as a list of [offsetMs, event] pairs (and a nested run now and then). */
function makeRun(start, parent) {
  const runId = uuid7(start);
  const trace = parent ? parent.trace : hex(32);
  const span = hex(16);
  const agent = parent ? 'billing' : pick(AGENTS);
  const common = `"run_id":"${runId}","trace_id":"${trace}","agent":"${agent}","schema":"agent-log/1"`;
  const out = [];
  let seq = 0;
  let t = 0;
  const line = (offset, level, body) => {
    const ms = start + offset;
    out.push([ms, `{"level":${level},"time":${Math.floor(ms)},"pid":4242,"hostname":"api-7f9c",${common},${body.replace('%TS%', new Date(ms).toISOString()).replace('%SEQ%', String(++seq))}}`]);
  };
  line(0, 30, `"event":"run_started","timestamp":"%TS%","seq":%SEQ%,"span_id":"${span}"${parent ? `,"parent_span_id":"${parent.stepSpan}","parent_run_id":"${parent.runId}"` : ''},"request_id":"req-${hex(8)}","user_id":"u-${Math.floor(random() * 5000)}","task_hash":"${hex(64)}"`);
  const steps = 2 + Math.floor(random() * 7);
  let failedAt;
  let tokens = 0;
  const children = [];
  for (let i = 1; i <= steps; i++) {
    const stepSpan = hex(16);
    t += random() * 3;
    const isModel = i % 2 === 1;
    const latency = isModel ? 200 + random() * 1800 : 5 + random() * 300 * (random() < 0.05 ? 20 : 1);
    if (isModel) {
      const input = 200 + Math.floor(random() * 3000);
      const output = 20 + Math.floor(random() * 400);
      tokens += input + output;
      line(t, 30, `"event":"agent_step","timestamp":"%TS%","seq":%SEQ%,"span_id":"${stepSpan}","parent_span_id":"${span}","step_index":${i},"step_type":"llm_call","model":"gpt-4o-mini"`);
      line(t + latency, 30, `"event":"llm_result","timestamp":"%TS%","seq":%SEQ%,"span_id":"${stepSpan}","parent_span_id":"${span}","model":"gpt-4o-mini","step_index":${i},"latency_ms":${latency.toFixed(3)},"status":"ok","token_usage":{"input_tokens":${input},"output_tokens":${output},"total_tokens":${input + output}},"finish_reason":"tool_calls"`);
    } else {
      const tool = pick(TOOLS);
      const fails = ERRORS[tool] && random() < 0.08;
      line(t, 30, `"event":"agent_step","timestamp":"%TS%","seq":%SEQ%,"span_id":"${stepSpan}","parent_span_id":"${span}","step_index":${i},"step_type":"tool_call","tool":"${tool}"`);
      line(t, 30, `"event":"tool_call","timestamp":"%TS%","seq":%SEQ%,"span_id":"${stepSpan}","parent_span_id":"${span}","tool":"${tool}","step_index":${i},"args_hash":"${hex(64)}"`);
      if (!parent && random() < 0.05) children.push(makeRun(start + t + 1, { runId, trace, stepSpan }));
      line(t + latency, fails ? 50 : 30, `"event":"tool_result","timestamp":"%TS%","seq":%SEQ%,"span_id":"${stepSpan}","parent_span_id":"${span}","tool":"${tool}","step_index":${i},"latency_ms":${latency.toFixed(3)},"status":"${fails ? 'error' : 'ok'}"${fails ? `,"error_class":"${ERRORS[tool]}","error_message":"upstream did not answer for [email]"` : `,"result_hash":"${hex(64)}"`}`);
      // The app's own log line inside the run (agentLogMixin): carries run_id, is not an event.
      line(t + latency, 30, `"req":{"id":${Math.floor(random() * 1e6)},"method":"POST","url":"/support/ask"},"context":"SupportAgent","msg":"tool ${tool} answered"`);
      if (fails) {
        failedAt = i;
        t += latency;
        break;
      }
    }
    t += latency;
  }
  const total = failedAt ?? steps;
  const reason = failedAt ? 'tool_error' : random() < 0.02 ? 'max_steps' : 'completed';
  line(t + 1, failedAt || reason !== 'completed' ? 50 : 30, `"event":"run_finished","timestamp":"%TS%","seq":%SEQ%,"span_id":"${span}","status":"${reason === 'completed' ? 'ok' : 'error'}","stop_reason":"${reason}","total_steps":${total},"total_latency_ms":${(t + 1).toFixed(3)},"tool_calls":${Math.floor(total / 2)},"llm_calls":${Math.ceil(total / 2)},"errors":${failedAt ? 1 : 0},"token_usage":{"input_tokens":${tokens},"output_tokens":0,"total_tokens":${tokens}}${failedAt ? `,"first_error_step_index":${failedAt}` : ''}`);
  for (const child of children) out.push(...child.events);
  return { runId, events: out };
}

/** Writes runs that overlap in time (as concurrent requests do), events in time order. */
function generate(file, bytes) {
  const fd = openSync(file, 'w');
  let written = 0;
  let clock = Date.UTC(2026, 10, 26, 6, 0, 0);
  let pending = [];
  let buffer = '';
  const runIds = [];
  while (written < bytes) {
    for (let i = 0; i < 20; i++) {
      clock += random() * 40; // ~25 new runs per second
      const run = makeRun(clock);
      runIds.push(run.runId);
      pending.push(...run.events);
    }
    pending.sort((a, b) => a[0] - b[0]);
    const flushable = pending.filter(([ms]) => ms < clock);
    pending = pending.filter(([ms]) => ms >= clock);
    for (const [, text] of flushable) buffer += text + '\n';
    if (buffer.length > 4 << 20) {
      written += writeSync(fd, buffer);
      buffer = '';
    }
  }
  pending.sort((a, b) => a[0] - b[0]);
  for (const [, text] of pending) buffer += text + '\n';
  written += writeSync(fd, buffer);
  closeSync(fd);
  return runIds;
}

/** One run of a command: wall seconds, peak RSS (through /usr/bin/time when present), stdout. */
function once(label, argv) {
  const useTime = existsSync('/usr/bin/time');
  const args = useTime ? ['-f', '%M', ...argv] : argv.slice(1);
  const started = process.hrtime.bigint();
  const r = spawnSync(useTime ? '/usr/bin/time' : argv[0], args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
  return { seconds, rssMb: useTime ? Number(r.stderr.trim().split('\n').pop()) / 1024 : undefined, stdout: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A against its baseline B, in turn REPEAT times: the medians, and the median of the per-pair ratios. */
function pair(label, a, b) {
  const as = [];
  const bs = [];
  const ratios = [];
  let last;
  for (let i = 0; i < REPEAT; i++) {
    last = once(label, a);
    const base = once(`${label} (baseline)`, b);
    as.push(last);
    bs.push(base.seconds);
    ratios.push(last.seconds / base.seconds);
  }
  return { label, seconds: median(as.map((r) => r.seconds)), base: median(bs), ratio: median(ratios), rssMb: Math.max(...as.map((r) => r.rssMb ?? 0)) || undefined, stdout: last.stdout };
}

function main() {
  for (const [tool, flag] of [['grep', '--version'], ['jq', '--version'], ['gzip', '--version']]) {
    if (spawnSync(tool, [flag]).status !== 0) throw new Error(`${tool} is needed for the baseline`);
  }
  const keep = process.env.INSPECTOR_BENCH_DIR;
  const dir = keep ?? mkdtempSync(path.join(tmpdir(), 'agent-log-bench-'));
  mkdirSync(dir, { recursive: true });
  try {
    measure(path.join(dir, `big-${MB}.ndjson`), Boolean(keep));
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** The run ids a generated file holds: kept beside it, so a kept file is not generated again. */
function generated(file, reuse) {
  const ids = `${file}.run-ids.json`;
  if (reuse && existsSync(file) && existsSync(ids)) return JSON.parse(require('node:fs').readFileSync(ids, 'utf8'));
  console.log(`generating ${MB} MB of log in ${file} ...`);
  const t0 = Date.now();
  const runIds = generate(file, MB * 1024 * 1024);
  require('node:fs').writeFileSync(ids, JSON.stringify(runIds));
  console.log(`  ${runIds.length} runs, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return runIds;
}

function measure(file, reuse) {
  const runIds = generated(file, reuse);
  const gz = `${file}.gz`;
  if (!reuse || !existsSync(gz)) execFileSync('sh', ['-c', `gzip -1 -c "${file}" > "${gz}"`]);
  const size = statSync(file).size;
  const target = runIds[Math.floor(runIds.length * 0.6)];
  // The request and trace ids of the target run, read from its run_started line.
  const started = JSON.parse(execFileSync('sh', ['-c', `grep -m1 -F '"run_id":"${target}","trace_id"' "${file}" | grep -F run_started`], { encoding: 'utf8' }).trim().split('\n')[0]);
  execFileSync('sh', ['-c', `cat "${file}" "${gz}" > /dev/null`]); // the page cache is warm for everyone
  const node = process.execPath;
  const grepJq = (id) => ['sh', '-c', `grep -F "${id}" "${file}" | jq -s . > /dev/null`];
  const show = (...args) => [node, CLI, 'show', ...args];
  const wc = ['wc', '-l', file];
  const results = [
    pair('show <run_id> (seek)', show(target, file), grepJq(target)),
    pair('show <prefix 13> (seek)', show(target.slice(0, 13), file), grepJq(target.slice(0, 13))),
    pair('show <run_id> --scan-all (full read)', show(target, file, '--scan-all'), grepJq(target)),
    pair('show <request id> (full read)', show(started.request_id, file), grepJq(started.request_id)),
    pair('show <trace id> (full read)', show(started.trace_id, file), grepJq(started.trace_id)),
    pair('cat | show <run_id> (stdin)', ['sh', '-c', `cat "${file}" | "${node}" "${CLI}" show ${target} > /dev/null`], ['sh', '-c', `cat "${file}" | grep -F "${target}" | jq -s . > /dev/null`]),
    pair('show <run_id> file.gz (gzip)', show(target, gz), ['sh', '-c', `zcat "${gz}" | grep -F "${target}" | jq -s . > /dev/null`]),
    pair('stats', [node, CLI, 'stats', file, '--json'], wc),
    pair('runs --status error', [node, CLI, 'runs', file, '--status', 'error', '--json', '--limit', '10'], wc),
  ];
  const check = JSON.parse(execFileSync(node, [CLI, 'show', target, file, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 }));
  if (check.run.run_id !== target) throw new Error('show found the wrong run');
  console.log(`\nrun ${target}: ${check.run.total_steps} steps, ${check.run.children.length} nested runs, ${check.stop.sentence}`);
  console.log(`${(size / 1024 / 1024).toFixed(0)} MB (${(statSync(gz).size / 1024 / 1024).toFixed(0)} MB gzip), warm page cache, ${REPEAT} pairs each, medians; ratio = median of the per-pair ratios:\n`);
  for (const r of results) {
    const baseline = r.label.startsWith('stats') || r.label.startsWith('runs') ? 'wc -l' : 'grep | jq -s';
    const mem = r.rssMb !== undefined ? `  peak RSS ${r.rssMb.toFixed(0).padStart(4)} MB` : '';
    console.log(`  ${r.label.padEnd(40)} ${r.seconds.toFixed(2).padStart(6)} s  vs ${r.base.toFixed(2).padStart(5)} s  ${r.ratio.toFixed(2).padStart(6)}x ${baseline}${mem}`);
  }
  const seek = results[0].ratio;
  const full = results[2].ratio;
  console.log(`\nshow / (grep | jq -s): seek ${seek.toFixed(2)}, full read ${full.toFixed(2)}, stdin ${results[5].ratio.toFixed(2)}, gzip ${results[6].ratio.toFixed(2)} (goal: <= 1 each)`);
}

main();
