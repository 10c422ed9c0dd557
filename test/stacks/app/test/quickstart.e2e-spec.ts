import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startFakeProvider } from './fake-provider/index.js';

/**
 * The README's Quick start, as written: scripts/test-stacks.js copies its code
 * blocks into src/quickstart/ (and, with the ConfigService module, into
 * src/quickstart-config/), the app's own build compiles them, and here they run
 * as a process, the real `openai` SDK pointed at a local fake provider through
 * OPENAI_BASE_URL, as the README's comment says it can be.
 */
const root = process.cwd();
const variants = ['quickstart', 'quickstart-config'];
type Line = Record<string, unknown>;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

async function untilListening(url: string): Promise<void> {
  for (let i = 0; i < 3600; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  throw new Error(`nothing listens on ${url}`);
}

const QUESTION = 'How do refunds work?';
const unkeyedHash = createHash('sha256').update(JSON.stringify(QUESTION)).digest('hex');

describe.each(variants)("the README's Quick start (%s)", (variant) => {
  it('builds, and answers over HTTP while writing the run as JSON lines on stdout, nothing else', async () => {
    expect(existsSync(join(root, 'dist', variant, 'main.js'))).toBe(true);
    const provider = await startFakeProvider();
    provider.script('openai.chat', { text: 'Refunds are possible within 30 days of delivery.', usage: { input: 40, output: 9 } });
    const port = await freePort();
    const child = spawn(process.execPath, [join(root, 'dist', variant, 'main.js')], {
      env: {
        ...process.env,
        PORT: String(port),
        OPENAI_API_KEY: 'test-key',
        OPENAI_BASE_URL: provider.openaiBaseURL,
        AGENT_LOG_HASH_SECRET: 'quickstart-secret-0123456789',
        AGENT_MAX_STEPS: '5',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      const url = `http://127.0.0.1:${port}`;
      await untilListening(url);
      const res = await fetch(`${url}/support/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: QUESTION }) });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ answer: 'Refunds are possible within 30 days of delivery.' });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
    await provider.close();
    // Nothing on stderr but Node's note that a CommonJS app loads an ESM-only package (@nestjs/config 12 on NestJS 11).
    const requireEsmNote = /ExperimentalWarning: CommonJS module .* is loading ES Module|Support for loading ES Module in require\(\)|--trace-warnings/;
    expect(stderr.split('\n').filter((l) => l && !requireEsmNote.test(l))).toEqual([]);

    // bufferLogs: every line on stdout is JSON, Nest's start-up lines included, so jq works on the log.
    const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
    const events = lines.filter((l) => l.schema === 'agent-log/1');
    expect(events.map((e) => e.event)).toEqual(['run_started', 'agent_step', 'tool_call', 'tool_result', 'agent_step', 'llm_result', 'run_finished']);
    expect(events[3]).toMatchObject({ tool: 'search_docs', status: 'ok' });
    expect(events[5]).toMatchObject({ model: 'gpt-4o-mini', status: 'ok', finish_reason: 'stop', token_usage: { input_tokens: 40, output_tokens: 9, total_tokens: 49 } });
    expect(events[6]).toMatchObject({ agent: 'support', status: 'ok', stop_reason: 'completed', total_steps: 2, tool_calls: 1, llm_calls: 1 });
    // The ConfigService variant's options reached the module: its hashes are keyed with AGENT_LOG_HASH_SECRET.
    if (variant === 'quickstart-config') expect(events[0].task_hash).not.toBe(unkeyedHash);
    else expect(events[0].task_hash).toBe(unkeyedHash);
    expect(JSON.stringify(lines)).not.toContain(QUESTION);
  }, 180_000);
});
