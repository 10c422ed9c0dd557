#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { CliError } from './cli-error.js';
import { registerHtml } from './commands/html.command.js';
import { registerRuns } from './commands/runs.command.js';
import { registerShow } from './commands/show.command.js';
import { registerStats } from './commands/stats.command.js';
import { colorErr, safeText } from './views/terminal-text.js';

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const program = new Command('agent-log')
  .description('The run inspector for nestjs-agent-logging: from a run_id to the failure point in one command.')
  .version(version())
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Examples:
  agent-log runs app.log --status error           the failed runs
  agent-log show 01a21130 app.log                  one run: its steps, the failure point, why it stopped
  agent-log stats 'logs/*.ndjson.gz'               per tool and model: errors, latency, tokens
  agent-log html --all -o report.html app.log      a self-contained page to share
  kubectl logs deploy/api | agent-log runs         standard input works too`,
  );

// `agent-log runs app.log | head`: the reader going away is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

registerRuns(program);
registerShow(program);
registerStats(program);
registerHtml(program);

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
