'use strict';
// The questions `npm run demo` asks the sample app, shared with the test in
// which a real Prometheus server scrapes the sample app while they run
// (test/monitoring/prometheus-server.e2e.spec.ts).

/** POST /support/ask: the decorated agent. */
const SUPPORT_QUESTIONS = [
  { question: 'Where is my order A-1001?' },
  { question: 'What is your refund policy?' },
  { question: 'Where is my order A-9999?' }, // lookup_order fails: no such order
  { question: 'Please refund order A-1002, it arrived broken' }, // create_refund times out at the gateway
  { question: 'keep searching for the manual of my toaster' }, // the same search again and again: a loop warning, then max_steps
];

/** POST /orders/ask: the second agent, on the Vercel AI SDK, logged by the telemetry integration with no decorator. */
const ORDER_DESK_QUESTIONS = [
  { question: 'Where is my order A-1001?' },
  { question: 'Where is my order A-9999?' }, // the tool fails; the SDK hands the error to the model, which answers
  { question: 'keep checking order A-1001' }, // the SDK's stopWhen cap: max_steps
];

module.exports = { SUPPORT_QUESTIONS, ORDER_DESK_QUESTIONS };
