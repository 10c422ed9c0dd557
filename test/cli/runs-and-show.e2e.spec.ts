import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withAgentLlm, withAgentRun } from 'nestjs-agent-logging';
import request from 'supertest';
import { bootApp, capture, settleLogs } from '../support/boot';
import { installEngine, tick } from '../support/engine-harness';
import { inspectorAgentsMetadata } from './fixtures/inspector-agents.fixture';
import { cliJson, HOSTILE_RUN, OTEL_RUN, produceLog, runCli, type ProducedLog } from './support/produce-log';

interface RunRow {
  run_id: string;
  agent: string;
  status: string;
  stop_reason?: string;
  steps: number;
  user_id?: string;
  parent_run_id?: string;
  latency_ms?: number;
  tokens?: number;
}
interface TimelineRow {
  type: string;
  depth: number;
  run_id: string;
  step_index?: number;
  name?: string;
  status?: string;
  failure?: boolean;
  offset_ms: number;
  duration_ms: number;
}
interface ShowJson {
  run: { run_id: string; agent: string; status: string; stop_reason: string; children: { run_id: string; agent: string }[]; steps: { step_index: number; name: string; status: string; error_class?: string }[] };
  stop: { sentence: string; failure_step_index?: number };
  timeline: TimelineRow[];
  input: { events: number; truncated: number };
  warning?: string;
}

let log: ProducedLog;
beforeAll(async () => {
  log = await produceLog();
});
afterAll(() => rmSync(log.dir, { recursive: true, force: true }));

describe('agent-log runs', () => {
  it('lists every run of the log with its status, stop reason, steps and tokens, as the events say', () => {
    const { runs, total, input } = cliJson<{ runs: RunRow[]; total: number; input: Record<string, number> }>(['runs', log.file]);
    const finished = log.events.filter((e) => e.event === 'run_finished');
    const expected = [...finished.map((e) => e.run_id), HOSTILE_RUN, OTEL_RUN];
    expect(runs.map((r) => r.run_id).sort()).toEqual([...expected].sort());
    expect(total).toBe(expected.length);
    for (const e of finished) {
      const row = runs.find((r) => r.run_id === e.run_id)!;
      expect(row).toMatchObject({ agent: e.agent, status: e.status, stop_reason: e.stop_reason, steps: e.total_steps, latency_ms: e.total_latency_ms });
      // A run whose model calls reported no usage has no token count: unknown, not 0.
      expect(row.tokens).toBe((e.token_usage as { total_tokens?: number } | undefined)?.total_tokens);
    }
    const byAgent = (agent: string) => runs.find((r) => r.agent === agent)!;
    expect(byAgent('support')).toMatchObject({ status: 'ok', stop_reason: 'completed', user_id: 'u-42' });
    expect(byAgent('refunds')).toMatchObject({ status: 'error', stop_reason: 'tool_error', steps: 3 });
    expect(byAgent('looper')).toMatchObject({ status: 'error', stop_reason: 'max_steps', steps: 3 });
    expect(byAgent('billing').parent_run_id).toBe(log.runIds.triage);
    expect(byAgent('streamer')).toMatchObject({ status: 'cancelled', stop_reason: 'cancelled' });
    expect(byAgent('typist')).toMatchObject({ status: 'cancelled', stop_reason: 'cancelled' });
    expect(byAgent('otel_agent')).toMatchObject({ status: 'error', stop_reason: 'step_error' });
    // The app's own lines (HTTP access logs, logger.log inside a run), noise and another schema: skipped, counted.
    const appLines = log.lines.filter((l) => l.schema !== 'agent-log/1').length;
    expect(input.not_events).toBe(appLines + 4); // + pino-pretty noise, plain text, agent-log/2, the hostile run's app line
    expect(input.truncated).toBe(1);
  });

  it('filters by status, stop reason, agent, user, time and latency, and sorts', () => {
    const ids = (args: string[]) => cliJson<{ runs: RunRow[] }>(['runs', log.file, ...args]).runs.map((r) => r.agent);
    expect(ids(['--status', 'error']).sort()).toEqual(['evil\u001b[2J\u001b[31m<img src=x onerror="document.title=1">', 'looper', 'otel_agent', 'refunds']);
    expect(ids(['--status', 'cancelled']).sort()).toEqual(['streamer', 'typist']);
    expect(ids(['--stop-reason', 'max_steps,tool_error', '--agent', 'refunds'])).toEqual(['refunds']);
    expect(ids(['--user', 'u-7'])).toEqual(['triage', 'billing']); // the nested run inherits its parent's user
    expect(ids(['--since', '2029-12-31T00:00:00Z']).sort()).toEqual([expect.stringContaining('evil'), 'otel_agent'].sort());
    expect(ids(['--until', '2029-12-31T00:00:00Z', '--agent', 'billing'])).toEqual(['billing']);
    const refunds = cliJson<{ runs: RunRow[] }>(['runs', log.file, '--agent', 'refunds']).runs[0];
    expect(ids(['--slower-than', `${refunds.latency_ms! - 0.001}ms`, '--agent', 'refunds'])).toEqual(['refunds']);
    expect(ids(['--slower-than', `${refunds.latency_ms! + 1}ms`, '--agent', 'refunds'])).toEqual([]);
    const byLatency = cliJson<{ runs: RunRow[] }>(['runs', log.file, '--sort', 'latency']).runs.map((r) => r.latency_ms ?? -1);
    expect(byLatency).toEqual([...byLatency].sort((a, b) => b - a));
    expect(cliJson<{ runs: RunRow[]; total: number }>(['runs', log.file, '--limit', '2'])).toMatchObject({ runs: [{}, {}], total: 9 });
  });

  it('rejects a bad filter with a clear error naming the option, before reading', () => {
    for (const [args, option] of [
      [['--slower-than', 'fast'], '--slower-than'],
      [['--since', 'yesterday-ish'], '--since'],
      [['--sort', 'colour'], '--sort'],
      [['--limit', '-3'], '--limit'],
    ] as const) {
      const result = runCli(['runs', log.file, ...args]);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain(option);
      expect(result.stdout).toBe('');
    }
    const missing = runCli(['runs', join(log.dir, 'nope.ndjson')]);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('no such file');
  });

  it('prints a table with a row per run, plain text when stdout is not a terminal', () => {
    const result = runCli(['runs', log.file, '--status', 'error']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/start\s+agent\s+run_id\s+user\s+request\s+status\s+stop_reason\s+steps\s+latency\s+tokens/);
    expect(result.stdout).toContain(log.runIds.refunds);
    expect(result.stdout).not.toContain(log.runIds.support);
    expect(result.stdout).not.toContain('\u001b');
    expect(result.stderr).toMatch(/skipped \d+ lines that are not events, 1 truncated line/);
  });
});

describe('agent-log show', () => {
  it('explains a tool failure in one sentence and marks the failing step', () => {
    const show = cliJson<ShowJson>(['show', log.runIds.refunds.slice(0, 13), log.file]);
    expect(show.run.run_id).toBe(log.runIds.refunds);
    expect(show.stop).toEqual({ sentence: 'stopped: tool `refund` failed with TimeoutError after 3 steps', failure_step_index: 3 });
    expect(show.run.steps.map((s) => [s.step_index, s.name, s.status])).toEqual([
      [1, 'gpt-4o-mini', 'ok'], [2, 'lookup_order', 'ok'], [3, 'refund', 'error'],
    ]);
    const steps = show.timeline.filter((r) => r.type === 'step');
    expect(steps.map((r) => r.failure)).toEqual([false, false, true]);
    // Steps are in time order on one axis, each within the run.
    const run = show.timeline[0];
    for (const [a, b] of steps.slice(1).map((r, i) => [steps[i], r])) expect(b.offset_ms).toBeGreaterThanOrEqual(a.offset_ms);
    for (const r of steps) expect(r.offset_ms + r.duration_ms).toBeLessThanOrEqual(run.duration_ms + 1);
    // The body waits 10 ms between lookup_order and refund, outside any step: a gap is shown there (a busy
    // machine may add other gaps elsewhere, say after the model call: this one must be there whatever they are).
    const lookupAt = show.timeline.findIndex((r) => r.type === 'step' && r.name === 'lookup_order');
    expect(show.timeline[lookupAt + 1].type).toBe('gap');
    expect(show.timeline[lookupAt + 1].duration_ms).toBeGreaterThanOrEqual(3);
    expect(show.timeline[lookupAt + 2]).toMatchObject({ type: 'step', name: 'refund' });

    const text = runCli(['show', log.runIds.refunds.slice(0, 13), log.file]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('stopped: tool `refund` failed with TimeoutError after 3 steps');
    expect(text.stdout).toMatch(/3 tool refund ✖\s+error/);
    expect(text.stdout).toMatch(/· gap\s+\d/);
    expect(text.stdout).toContain('TimeoutError: payment gateway timed out for A-2');
    expect(text.stdout).toMatch(/█/);
  });

  it('shows a nested run under the step that started it', () => {
    const show = cliJson<ShowJson>(['show', log.runIds.triage, log.file]);
    expect(show.run.children.map((c) => [c.run_id, c.agent])).toEqual([[log.runIds.billing, 'billing']]);
    expect(show.timeline.map((r) => [r.type, r.depth, r.name ?? r.run_id])).toEqual(
      expect.arrayContaining([
        ['step', 1, 'ask_billing'],
        ['run', 2, log.runIds.billing],
        ['step', 3, 'lookup_order'],
      ]),
    );
    const askAt = show.timeline.findIndex((r) => r.name === 'ask_billing');
    expect(show.timeline[askAt + 1]).toMatchObject({ type: 'run', run_id: log.runIds.billing });
    expect(show.stop.sentence).toBe('completed after 2 steps');
  });

  it('finds nested runs even when the files come out of order (second pass), and warns on stdin where it cannot', () => {
    const tree = new Set([log.runIds.triage, log.runIds.billing]);
    const lines = log.events.filter((e) => tree.has(e.run_id as string));
    const childFirst = join(log.dir, 'a-child.ndjson');
    const parentLater = join(log.dir, 'b-parent.ndjson');
    writeFileSync(childFirst, lines.filter((e) => e.run_id === log.runIds.billing).map((e) => JSON.stringify(e)).join('\n') + '\n');
    writeFileSync(parentLater, lines.filter((e) => e.run_id === log.runIds.triage).map((e) => JSON.stringify(e)).join('\n') + '\n');
    const files = cliJson<ShowJson>(['show', log.runIds.triage, childFirst, parentLater]);
    expect(files.run.children.map((c) => c.run_id)).toEqual([log.runIds.billing]);
    expect(files.warning).toBeUndefined();

    const piped = cliJson<ShowJson>(['show', log.runIds.triage, '-'], {
      input: readFileSync(childFirst, 'utf8') + readFileSync(parentLater, 'utf8'),
    });
    expect(piped.run.children).toEqual([]);
    expect(piped.warning).toContain(log.runIds.billing);
  });

  it('seeks by the time in the run id in a big file, and falls back to reading it all when the log is not in time order', () => {
    const start = (log.events[0].time as number);
    const noise = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => JSON.stringify({ level: 30, time: from + i * 10, pid: 1, hostname: 'h', msg: `unrelated request ${i} `.padEnd(150, '.') })).join('\n') + '\n';
    const before = noise(start - 3_600_000, 20_000); // an hour earlier, ~3.5 MB
    const after = noise(start + 3_600_000, 20_000);
    const own = readFileSync(log.file, 'utf8').split('\n').filter((l) => !l.includes('0badc0de') && !l.includes('0otel') && !l.includes('2030-')).slice(0, -1).join('\n') + '\n';
    const ordered = join(log.dir, 'ordered.ndjson');
    writeFileSync(ordered, before + own + after);
    const seeked = cliJson<ShowJson & { input: { scanned: string; bytes: number } }>(['show', log.runIds.triage, ordered]);
    const scanned = cliJson<ShowJson & { input: { scanned: string; bytes: number } }>(['show', log.runIds.triage, ordered, '--scan-all']);
    expect(seeked.input.scanned).toBe('time window');
    expect(seeked.input.bytes).toBeLessThan(before.length / 2);
    expect(scanned.input.scanned).toBe('whole input');
    expect({ ...seeked, input: undefined }).toEqual({ ...scanned, input: undefined });

    const shuffled = join(log.dir, 'shuffled.ndjson');
    writeFileSync(shuffled, own + before); // older lines after the run: the bisection lands past it
    const fallback = cliJson<ShowJson & { input: { scanned: string } }>(['show', log.runIds.triage, shuffled]);
    expect(fallback.input.scanned).toBe('whole input');
    expect({ ...fallback, input: undefined }).toEqual({ ...scanned, input: undefined });
  });

  it('searches a big file on two threads with the same answer, a nested run straddling the threads\' boundary included', () => {
    const tree = log.events.filter((e) => e.run_id === log.runIds.triage || e.run_id === log.runIds.billing).map((e) => JSON.stringify(e));
    const childStarts = tree.findIndex((l) => l.includes('"run_started"') && l.includes(log.runIds.billing));
    const noise = (count: number) => Array.from({ length: count }, (_, i) => JSON.stringify({ level: 30, pid: 1, msg: `unrelated ${i}`.padEnd(200, '.') })).join('\n') + '\n';
    // The parent and the child's start in the first third, the child's other events in the last fifth: whatever
    // the cut between the main thread's range and the worker's, the child goes on past it.
    const file = join(log.dir, 'straddle.ndjson');
    writeFileSync(file, noise(500) + tree.slice(0, childStarts + 1).join('\n') + '\n' + noise(4000) + tree.slice(childStarts + 1).join('\n') + '\n' + noise(500));
    const parallel = cliJson<ShowJson & { input: { threads?: number } }>(['show', log.runIds.triage, file, '--scan-all'], { env: { AGENT_LOG_PARALLEL_MIN_BYTES: '65536' } });
    const sequential = cliJson<ShowJson & { input: { threads?: number } }>(['show', log.runIds.triage, file, '--scan-all']);
    expect(parallel.input.threads).toBeGreaterThanOrEqual(2);
    expect(sequential.input.threads).toBeUndefined();
    expect(parallel.run.children.map((c) => c.run_id)).toEqual([log.runIds.billing]);
    expect({ ...parallel, input: undefined }).toEqual({ ...sequential, input: undefined });
    const billingSteps = parallel.timeline.filter((r) => r.run_id === log.runIds.billing && r.type === 'step').map((r) => r.name);
    expect(billingSteps).toEqual(['gpt-4o-mini', 'lookup_order']);
    // By trace id too: one needle on every line, nothing to learn.
    const trace = log.events.find((e) => e.run_id === log.runIds.triage)!.trace_id as string;
    const byTrace = cliJson<ShowJson & { input: { threads?: number } }>(['show', trace, file], { env: { AGENT_LOG_PARALLEL_MIN_BYTES: '65536' } });
    expect(byTrace.input.threads).toBeGreaterThanOrEqual(2);
    expect(byTrace.timeline).toEqual(sequential.timeline);
  });

  it('explains max steps, cancellation (Observable unsubscribed, iterator abandoned) and the OpenTelemetry-named run', () => {
    const sentence = (id: string) => cliJson<ShowJson>(['show', id, log.file]).stop.sentence;
    expect(sentence(log.runIds.looper)).toBe('stopped: the step budget (maxSteps 3) was spent after 3 steps; the next step was refused');
    expect(sentence(log.runIds.streamer)).toMatch(/^stopped: cancelled by the caller/);
    expect(sentence(log.runIds.typist)).toMatch(/^stopped: cancelled by the caller .* after 1 step$/);
    expect(sentence(OTEL_RUN)).toBe('stopped: model `claude-sonnet` failed with RateLimitError after 1 step');
    expect(sentence(log.runIds.support)).toBe('completed after 2 steps');
  });

  it("lists, with --app-logs, the app's own log lines written inside the run (agentLogMixin), without their request bindings", () => {
    const show = cliJson<ShowJson & { app_logs: Record<string, unknown>[] }>(['show', log.runIds.support, log.file, '--app-logs']);
    const written = log.lines.find((l) => l.run_id === log.runIds.support && l.msg === 'answering')!;
    expect(show.app_logs).toEqual([{ run_id: log.runIds.support, time: written.time, level: 'info', context: 'Agents', msg: 'answering' }]);
    expect(runCli(['show', log.runIds.support, log.file, '--app-logs']).stdout).toMatch(/the app's own log lines in the run \(1, scrubbed\):\n.*\n\+[\d.]+ ms\s+info\s+Agents\s+answering/);
  });

  it('says when a run never finished (its process died): status unfinished, the last step in flight', () => {
    const file = join(log.dir, 'died.ndjson');
    const events = log.events.filter((e) => e.run_id === log.runIds.support && e.event !== 'run_finished' && e.event !== 'tool_result');
    writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    expect(cliJson<{ runs: RunRow[] }>(['runs', file]).runs).toMatchObject([{ run_id: log.runIds.support, status: 'unfinished', steps: 2 }]);
    const show = cliJson<ShowJson>(['show', log.runIds.support, file]);
    expect(show.stop.sentence).toBe(
      'not finished: no run_finished in the log (still in flight, or its process died); last seen: step 2, tool `lookup_order` in flight',
    );
    expect(show.timeline.find((r) => r.step_index === 2)).toMatchObject({ status: 'in_flight', failure: true });
  });

  it('leaves a count the log does not give unknown, never 0: in runs, show and stats', async () => {
    // Written by the engine through pino: a model call that reported its output only, and one that reported nothing.
    const { capture, uninstall } = installEngine();
    const outputOnly = withAgentLlm('gpt-4o', async () => ({ finishReason: 'stop', usage: { inputTokens: undefined, outputTokens: 7 } }));
    const silent = withAgentLlm('gpt-4o', async () => 'no usage');
    try {
      await withAgentRun('counting', async () => {
        await outputOnly();
        await silent();
      })();
      await tick();
    } finally {
      uninstall();
    }
    const file = join(log.dir, 'unknown-counts.ndjson');
    writeFileSync(file, capture.raw);
    const runId = capture.events[0].run_id as string;
    const [row] = cliJson<{ runs: (RunRow & Record<string, unknown>)[] }>(['runs', file]).runs;
    expect(row).toMatchObject({ run_id: runId, output_tokens: 7, tokens_partial: true });
    expect(row).not.toHaveProperty('tokens');
    expect(row).not.toHaveProperty('input_tokens');
    expect(runCli(['show', runId, file]).stdout).toContain('? tokens (in ?, out 7), partial: some model calls reported no usage');
    const [model] = cliJson<{ models: Record<string, unknown>[] }>(['stats', file]).models;
    expect(model).toMatchObject({ model: 'gpt-4o', calls: 2, output_tokens: 7 });
    expect(model).not.toHaveProperty('input_tokens');
    expect(model).not.toHaveProperty('total_tokens');
  });

  it('refuses an ambiguous prefix, listing the candidates, and an unknown one, with a non-zero exit', () => {
    const ambiguous = runCli(['show', log.runIds.support.slice(0, 4), log.file]);
    expect(ambiguous.status).not.toBe(0);
    expect(ambiguous.stderr).toContain('is ambiguous');
    expect(ambiguous.stderr).toContain(log.runIds.support);
    expect(ambiguous.stderr).toContain(log.runIds.refunds);
    expect(ambiguous.stdout).toBe('');

    const unknown = runCli(['show', 'ffffffff-0000', log.file]);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain('no run, request or trace matches "ffffffff-0000"');
    // Too short for a run id prefix, and no request is "ab": what a short argument can be is said.
    expect(runCli(['show', 'ab', log.file]).stderr).toContain('no request (a run id prefix needs 4 characters or more) matches "ab"');
  });

  it('finds a run by a short request id: pino-http\'s own counter ("1") when no x-request-id came', async () => {
    const from = capture.raw.length;
    const app = await bootApp({ metadata: inspectorAgentsMetadata });
    try {
      await request(app.getHttpServer()).post('/run').send({ agent: 'support', question: 'where is my order?' }).expect(201);
      await settleLogs();
    } finally {
      await app.close();
    }
    const file = join(log.dir, 'counter-ids.ndjson');
    writeFileSync(file, capture.raw.slice(from));
    const started = capture.events.slice(-20).find((e) => e.event === 'run_started' && e.agent === 'support')!;
    const requestId = started.request_id as string;
    expect(requestId.length).toBeLessThan(4); // the counter, as the Quick start's app without x-request-id has it
    const found = cliJson<ShowJson>(['show', requestId, file]);
    expect(found.run.run_id).toBe(started.run_id);
    // Another writer's numeric counter, or a space after the colon: found the same.
    const numeric = join(log.dir, 'numeric-ids.ndjson');
    writeFileSync(numeric, capture.raw.slice(from).replaceAll(`"request_id":"${requestId}"`, `"request_id": ${requestId}`));
    expect(cliJson<ShowJson>(['show', requestId, numeric]).run.run_id).toBe(started.run_id);
    // Not every line holding the character: only the run whose request it is.
    expect(runCli(['show', `${requestId}9`, file]).stderr).toContain('no request (a run id prefix needs 4 characters or more) matches');
  });
});
