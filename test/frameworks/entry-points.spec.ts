import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeProvider } from '../support/fake-provider';

const root = join(__dirname, '..', '..');
const FRAMEWORKS = /node_modules\/(ai|@ai-sdk\/[^/]+|@langchain\/[^/]+|langsmith|@openai\/agents[^/]*)\//;

const ENTRIES = ['nestjs-agent-logging', 'nestjs-agent-logging/ai-sdk', 'nestjs-agent-logging/langchain', 'nestjs-agent-logging/openai-agents'];

/**
 * Loads each entry point of the built package by name, in turn, as an app
 * would (the package resolves its own name through its exports map), in a
 * fresh Node process that records every module it loads; answers, for each
 * entry, the framework packages its loading added and the entry's exports.
 */
function loadInTurn(format: 'require' | 'import'): Record<string, { loaded: string[]; exports: string[] }> {
  const script = `
    const { registerHooks } = require('node:module');
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    const frameworks = (urls) => [...new Set(urls.map((u) => (${FRAMEWORKS}.exec(u) ?? [])[1]).filter(Boolean))].sort();
    (async () => {
      const report = {};
      for (const entry of ${JSON.stringify(ENTRIES)}) {
        const before = loaded.length;
        const exports = ${format === 'require' ? 'require(entry)' : 'await import(entry)'};
        report[entry] = { loaded: frameworks(loaded.slice(before)), exports: Object.keys(exports).sort() };
      }
      console.log(JSON.stringify(report));
    })();
  `;
  const child = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect(child.stderr).toBe('');
  return JSON.parse(child.stdout) as Record<string, { loaded: string[]; exports: string[] }>;
}

describe.each(['require', 'import'] as const)('each framework integration is its own entry point (%s)', (format) => {
  let report: ReturnType<typeof loadInTurn>;
  beforeAll(() => {
    report = loadInTurn(format);
  });

  it('the main entry point loads none of the frameworks', () => {
    expect(report['nestjs-agent-logging'].exports).toContain('AgentLoggingModule');
    expect(report['nestjs-agent-logging'].loaded).toEqual([]);
  });

  it('nestjs-agent-logging/ai-sdk loads nothing of the AI SDK: it only hands it an integration object', () => {
    expect(report['nestjs-agent-logging/ai-sdk']).toEqual({ exports: ['agentLoggingTelemetry'], loaded: [] });
  });

  it('nestjs-agent-logging/langchain loads @langchain/core and nothing of the other frameworks', () => {
    const { exports, loaded } = report['nestjs-agent-logging/langchain'];
    expect(exports).toEqual(['AgentLoggingCallbackHandler']);
    expect(loaded).toContain('@langchain/core');
    expect(loaded.filter((p) => p !== '@langchain/core' && p !== 'langsmith')).toEqual([]);
  });

  it('nestjs-agent-logging/openai-agents loads the Agents SDK and nothing of the other frameworks', () => {
    const { exports, loaded } = report['nestjs-agent-logging/openai-agents'];
    expect(exports).toEqual(['AgentLoggingTraceProcessor']);
    expect(loaded).toContain('@openai/agents');
    expect(loaded.filter((p) => !p.startsWith('@openai/agents'))).toEqual([]);
  });
});

describe('the AI SDK integration in an ESM app, the AI SDK loaded natively', () => {
  it('registerTelemetry(agentLoggingTelemetry()) writes the loop of a generateText made anywhere in the app', async () => {
    const provider = await startFakeProvider();
    try {
      provider.script('openai.chat', { toolCalls: [{ id: 'call_1', name: 'weather', arguments: { city: 'Paris' } }] }, { text: 'Sunny in Paris' });
      const logFile = join(mkdtempSync(join(tmpdir(), 'ai-sdk-native-')), 'app.log');
      // Asynchronous: the fake provider answers from this process.
      const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'ai-sdk-native.mjs')], {
        cwd: root, env: { ...process.env, LOG_FILE: logFile, PROVIDER_URL: provider.openaiBaseURL },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual({ text: 'Sunny in Paris' });
      const events = readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.schema === 'agent-log/1');
      expect(events.map((e) => e.event)).toEqual([
        'run_started', 'agent_step', 'llm_result', 'agent_step', 'tool_call', 'tool_result', 'agent_step', 'llm_result', 'run_finished',
      ]);
      expect(events[0]).toMatchObject({ agent: 'native_agent' });
      expect(events[4]).toMatchObject({ tool: 'weather', tool_call_id: 'call_1' });
      expect(events.at(-1)).toMatchObject({ status: 'ok', stop_reason: 'completed', tool_calls: 1, llm_calls: 2 });
    } finally {
      await provider.close();
    }
  });
});
