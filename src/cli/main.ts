#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { CliError } from './cli-error.js';
import { colorErr, safeText } from './views/terminal-text.js';

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const program = new Command('agent-log')
  .description('The run inspector for nestjs-agent-logging: from a run id, a request id or a trace id to the failure point in one command.')
  .version(version())
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Examples:
  agent-log runs app.log --status error           the failed runs
  agent-log show 01a21130 app.log                  one run: its steps, the failure point, why it stopped
  agent-log show req-8f2c api.log billing.log      a request's runs (or a trace id's), across services' logs
  agent-log tail app.log --show-failures           runs as they finish, the failed ones' trees
  agent-log stats 'logs/*.ndjson.gz'               per tool and model: errors, latency, tokens
  agent-log html --all -o report.html app.log      a self-contained page to share
  kubectl logs deploy/api | agent-log runs         standard input works too`,
  );

// `agent-log runs app.log | head`: the reader going away is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

/**
 * Each command's module, loaded only when it is the one asked for: loading
 * them all cost ~40 ms of a `show` that otherwise takes ~100 ms on a big log.
 * Help and unknown commands load them all.
 */
const COMMANDS: Record<string, () => (program: Command) => void> = {
  runs: () => (require('./commands/runs.command.js') as typeof import('./commands/runs.command.js')).registerRuns,
  show: () => (require('./commands/show.command.js') as typeof import('./commands/show.command.js')).registerShow,
  tail: () => (require('./commands/tail.command.js') as typeof import('./commands/tail.command.js')).registerTail,
  stats: () => (require('./commands/stats.command.js') as typeof import('./commands/stats.command.js')).registerStats,
  html: () => (require('./commands/html.command.js') as typeof import('./commands/html.command.js')).registerHtml,
};
const asked = process.argv[2];
for (const [name, load] of Object.entries(COMMANDS)) if (!(asked in COMMANDS) || name === asked) load()(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CliError) {
    // Messages may quote the log (ambiguous prefixes list agents): escape each line.
    const lines = err.message.split('\n').map((line) => safeText(line, 500));
    process.stderr.write(`${colorErr.red('agent-log: error:')} ${lines.join('\n')}\n`);
    process.exitCode = err.exitCode;
    return;
  }
  process.stderr.write(`agent-log: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 70;
});
