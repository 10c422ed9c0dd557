import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { bootApp, capture, settleLogs } from '../../support/boot';
import type { LogLine } from '../../support/log-capture';
import { Agents, inspectorAgentsMetadata } from '../fixtures/inspector-agents.fixture';

export const CLI = join(__dirname, '..', '..', '..', 'dist', 'cjs', 'cli', 'main.js');

/** The hand-made runs: content a real app cannot write (names are validated), but a log may hold anything. */
export const HOSTILE_RUN = '0badc0de-0000-7000-8000-000000000001';
export const HOSTILE = {
  agent: 'evil\u001b[2J\u001b[31m<img src=x onerror="document.title=1">',
  tool: '\u001b]0;pwned\u0007<script>document.title="pwned"</script>',
  error_class: 'Evil\u001b[1A\u001b[K',
  error_message: 'line one\r\nline two \u202ereversed\u009b31m',
  app_msg: 'retrying \u001b[2J<b>now</b>',
};
export const OTEL_RUN = '0otel000-0000-7000-8000-000000000002';

function hostileLines(): string[] {
  const base = { trace_id: 'a'.repeat(32), agent: HOSTILE.agent, schema: 'agent-log/1', run_id: HOSTILE_RUN };
  const at = (ms: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, 0, ms)).toISOString();
  const events = [
    { ...base, event: 'run_started', timestamp: at(0), seq: 1, span_id: '1'.repeat(16), task_hash: 'f'.repeat(64), user_id: 'u-\u001b[5m' },
    { ...base, event: 'agent_step', timestamp: at(1), seq: 2, span_id: '2'.repeat(16), parent_span_id: '1'.repeat(16), step_index: 1, step_type: 'tool_call', tool: HOSTILE.tool },
    { ...base, event: 'tool_result', timestamp: at(9), seq: 3, span_id: '2'.repeat(16), parent_span_id: '1'.repeat(16), step_index: 1, tool: HOSTILE.tool, latency_ms: 8, status: 'error', error_class: HOSTILE.error_class, error_message: HOSTILE.error_message },
    { ...base, event: 'run_finished', timestamp: at(10), seq: 4, span_id: '1'.repeat(16), status: 'error', stop_reason: 'tool_error', total_steps: 1, total_latency_ms: 10, tool_calls: 1, llm_calls: 0, errors: 1, first_error_step_index: 1 },
  ];
  // The same kind of run written with OpenTelemetry GenAI attribute names, as an OTLP-shaped record.
  const otel = (event: string, seq: number, attributes: Record<string, unknown>) => ({
    timestamp: at(100 + seq), event, run_id: OTEL_RUN, seq, span_id: `${seq}`.repeat(16), attributes,
  });
  const otelEvents = [
    otel('run_started', 1, { 'gen_ai.agent.name': 'otel_agent' }),
    otel('llm_result', 2, {
      'gen_ai.request.model': 'claude-sonnet', step_index: 1, latency_ms: 7, status: 'error', 'error.type': 'RateLimitError',
      'gen_ai.usage.input_tokens': 11, 'gen_ai.usage.output_tokens': 4, 'gen_ai.response.finish_reasons': ['error'],
    }),
    otel('run_finished', 3, { 'gen_ai.agent.name': 'otel_agent', status: 'error', stop_reason: 'step_error', total_steps: 1, total_latency_ms: 9, errors: 1 }),
  ];
  // The app's own line inside the hostile run: its message is shown (escaped), its request never.
  const appLine = {
    level: 40, time: Date.parse(at(5)), run_id: HOSTILE_RUN, context: 'Evil\u001b[8m', msg: HOSTILE.app_msg,
    req: { headers: { authorization: 'Bearer never-shown' } },
  };
  return [
    ...events.map((e) => JSON.stringify(e)),
    JSON.stringify(appLine),
    ...otelEvents.map((e) => JSON.stringify(e)),
    '[07:12:21.606] INFO (4605): pino-pretty output is not an event',
    'plain text noise',
    JSON.stringify({ schema: 'agent-log/2', event: 'run_started', run_id: 'future-schema', timestamp: at(0), seq: 1 }),
  ];
}

export interface ProducedLog {
  dir: string;
  file: string;
  /** The events as written, parsed: the oracle the CLI's answers are checked against. */
  events: LogLine[];
  /** Every line pino wrote, events or not. */
  lines: LogLine[];
  runIds: Record<'support' | 'refunds' | 'looper' | 'triage' | 'billing' | 'streamer' | 'typist', string>;
}

/**
 * Boots a real instrumented Nest app, makes it run every scenario (success,
 * tool failure, max steps, nested, two kinds of cancellation), and writes
 * what pino wrote to a file, followed by hostile hand-made lines and a last
 * line cut mid-write.
 */
export async function produceLog(): Promise<ProducedLog> {
  const app = await bootApp({
    metadata: inspectorAgentsMetadata,
    agentLogging: { userId: (req) => (req as { headers: Record<string, string> }).headers['x-user'] },
  });
  try {
    const server = app.getHttpServer();
    await request(server).post('/run').set('x-request-id', 'req-1').set('x-user', 'u-42').send({ agent: 'support', question: 'where is my order?' }).expect(201);
    await request(server).post('/run').set('x-request-id', 'req-2').send({ agent: 'refund', question: 'refund A-2' }).expect(502);
    await request(server).post('/run').set('x-request-id', 'req-3').send({ agent: 'loop', question: 'manual' }).expect(502);
    await request(server).post('/run').set('x-request-id', 'req-4').set('x-user', 'u-7').send({ agent: 'triage', question: 'invoice?' }).expect(201);
    const agents = app.get(Agents);
    // The caller goes away after two ticks (from outside the delivery, as a closed connection does): cancelled.
    const ticks: string[] = [];
    await new Promise<void>((resolve) => {
      const subscription = agents.watch('ticks').subscribe((tick) => {
        if (ticks.push(tick) === 2) setImmediate(() => (subscription.unsubscribe(), resolve()));
      });
    });
    expect(ticks).toEqual(['tick 0', 'tick 1']);
    for await (const chunk of agents.type('hello')) {
      expect(chunk).toBeDefined();
      break; // abandons the iterator: the run ends cancelled
    }
    await settleLogs();
  } finally {
    await app.close();
  }
  const events = capture.events;
  const runOf = (agent: string) => events.find((e) => e.event === 'run_started' && e.agent === agent)!.run_id as string;
  const runIds = {
    support: runOf('support'), refunds: runOf('refunds'), looper: runOf('looper'), triage: runOf('triage'),
    billing: runOf('billing'), streamer: runOf('streamer'), typist: runOf('typist'),
  };
  const dir = mkdtempSync(join(tmpdir(), 'agent-log-cli-'));
  const file = join(dir, 'app.ndjson');
  const cut = JSON.stringify({ ...events[0], event: 'run_started', run_id: 'cut-run' }).slice(0, 70);
  writeFileSync(file, `${capture.raw}${hostileLines().join('\n')}\n${cut}`);
  return { dir, file, events, lines: capture.lines, runIds };
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a child process, stdout a pipe (not a TTY), colours as `env` says. */
export function runCli(args: string[], options: { input?: Buffer | string; env?: Record<string, string | undefined> } = {}): CliResult {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const result = spawnSync(process.execPath, [CLI, ...args], { input: options.input, env: env as NodeJS.ProcessEnv, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `--json` output, parsed; fails the test with the CLI's stderr when it did not succeed. */
export function cliJson<T = Record<string, unknown>>(args: string[], options?: Parameters<typeof runCli>[1]): T {
  const result = runCli([...args, '--json'], options);
  if (result.status !== 0) throw new Error(`agent-log ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
