#!/usr/bin/env node
// `npm run demo`: starts the sample app, asks it real questions over HTTP
// (successes, a failing tool, a timing-out refund, a runaway agent), reads its
// metrics, stops it with SIGTERM, then reads the event log back with the run
// inspector (agent-log): from a run id a failure answered with, and from a
// request id, to the failing tool.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { mkdirSync, readFileSync, rmSync } = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const root = path.join(__dirname, '..');
const logFile = path.join(root, 'sample-app', 'logs', 'agent-events.ndjson');
const cli = path.join(root, 'dist', 'cjs', 'cli', 'main.js');
const { ORDER_DESK_QUESTIONS, SUPPORT_QUESTIONS } = require('./demo-requests');
const { prepareSampleApp } = require('./sample-app');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function waitForListening(child) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the sample app did not start:\n${out}`)), 20_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace('[::1]', '127.0.0.1'));
      }
    });
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => reject(new Error(`the sample app exited with ${code}:\n${out}`)));
  });
}

async function main() {
  rmSync(logFile, { force: true });
  mkdirSync(path.dirname(logFile), { recursive: true });
  const port = await freePort();
  const entry = prepareSampleApp();
  const app = spawn(process.execPath, [entry], {
    cwd: root,
    // A demo key: in production it comes from a secret store, and keys every hash (README, Keyed hashing).
    env: { AGENT_LOG_HASH_SECRET: 'demo-only-hash-secret-0123456789', ...process.env, PORT: String(port), AGENT_LOG_FILE: logFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await waitForListening(app);
  console.log(`sample app listening on ${url}\n`);

  // A failure answers with the run id (the sample app's exception filter puts the x-agent-run-id header into the body).
  const failures = [];
  for (const [i, body] of SUPPORT_QUESTIONS.entries()) {
    const res = await fetch(`${url}/support/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': `demo-${i + 1}` },
      body: JSON.stringify(body),
    });
    const reply = await res.json();
    if (!res.ok) failures.push({ question: body.question, runId: reply.run_id });
    console.log(`POST /support/ask ${JSON.stringify(body.question)} -> ${res.status} ${JSON.stringify(reply)}`);
  }

  // Streamed answers over SSE: one read to the end, one abandoned mid-answer (the user closed the tab).
  for (const abandon of [false, true]) {
    const controller = new AbortController();
    const res = await fetch(`${url}/support/ask/stream?question=${encodeURIComponent('What are your shipping times?')}`, {
      headers: { 'x-request-id': `demo-sse-${abandon ? 'abandoned' : 'full'}` },
      signal: controller.signal,
    });
    const reader = res.body.getReader();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
      if (abandon && text.includes('data:')) {
        controller.abort();
        break;
      }
    }
    const words = text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim());
    console.log(`GET /support/ask/stream -> ${res.status} ${abandon ? 'abandoned after' : 'read'} ${JSON.stringify(words.join(' '))}`);
  }

  for (const [i, body] of ORDER_DESK_QUESTIONS.entries()) {
    const res = await fetch(`${url}/orders/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': `demo-orders-${i + 1}` },
      body: JSON.stringify(body),
    });
    console.log(`POST /orders/ask ${JSON.stringify(body.question)} -> ${res.status} ${JSON.stringify(await res.json())}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));

  // What Prometheus would scrape (@willsoto/nestjs-prometheus serves prom-client's registry; prometheusMetrics() counts).
  const metrics = await (await fetch(`${url}/metrics`)).text();
  console.log('\nGET /metrics (the agent_ runs, tool calls and loops):');
  for (const line of metrics.split('\n')) {
    if (/^agent_(runs_total|tool_calls_total|loops_detected_total)\{/.test(line)) console.log(`  ${line}`);
  }

  const exited = new Promise((resolve) => app.on('exit', resolve));
  app.kill('SIGTERM');
  await exited;

  const events = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((e) => e.schema === 'agent-log/1');
  const finished = events.filter((e) => e.event === 'run_finished');
  const relLog = path.relative(process.cwd(), logFile);
  console.log(`\n${events.length} events from ${finished.length} runs written to ${relLog}`);

  // The on-call view: the failed runs; a run from the id a customer quotes from their error; a request by its id.
  const inspect = (why, args) => {
    console.log(`\n# ${why}\n$ npx agent-log ${args.join(' ')}`);
    const result = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`agent-log ${args[0]} exited with ${result.status}`);
  };
  inspect('the failed runs', ['runs', relLog, '--status', 'error']);
  const [ticket] = failures;
  inspect(`a customer's ticket quotes the run id their error answered with (${JSON.stringify(ticket.question)})`, ['show', ticket.runId, relLog]);
  inspect('the support tool has the request id of the refund that failed: its run, down to the failing tool', ['show', 'demo-4', relLog, '--app-logs']);
  // The AI SDK agent's run beside it: the same events, written from the framework's own hooks.
  const orderDesk = events.find((e) => e.event === 'run_started' && e.agent === 'order_desk');
  if (orderDesk) inspect('the AI SDK agent: the same events, written from the framework\'s own hooks', ['show', orderDesk.run_id.slice(0, 13), relLog]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
