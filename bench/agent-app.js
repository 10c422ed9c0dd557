'use strict';
// The library as an application uses it: decorated classes in a Nest
// application context, events written through a pino logger (the `logger`
// option) to the same destination as the baselines.
require('reflect-metadata');
const { Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { AgentLlm, AgentLoggingModule, AgentRun, AgentTool } = require('../dist/cjs');
const { ARGS, logger, searchDocs } = require('./baselines');

function decorate(target, key, ...decorators) {
  Object.defineProperty(target, key, Reflect.decorate(decorators, target, key, Object.getOwnPropertyDescriptor(target, key)));
}

const COMPLETION = {
  id: 'chatcmpl-1',
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Your order has shipped.' } }],
  usage: { prompt_tokens: 120, completion_tokens: 12, total_tokens: 132 },
};

class Tools {
  searchDocs(args) {
    return searchDocs(args);
  }
}
decorate(Tools.prototype, 'searchDocs', AgentTool('search_docs'));

class Model {
  async complete(_messages) {
    return COMPLETION;
  }
}
decorate(Model.prototype, 'complete', AgentLlm({ model: 'gpt-4o-mini' }));

class Agent {
  constructor(tools) {
    this.tools = tools;
  }

  async answer(question) {
    for (let i = 0; i < 5; i++) await this.tools.searchDocs({ ...ARGS, query: question, page: i });
  }

  /** A run that stays in flight until `release` resolves. */
  async park(release) {
    await release;
  }
}
decorate(Agent.prototype, 'answer', AgentRun('bench_agent'));
decorate(Agent.prototype, 'park', AgentRun('parked'));

Reflect.decorate([Injectable()], Tools);
Reflect.decorate([Injectable()], Model);
Reflect.decorate([Injectable(), Reflect.metadata('design:paramtypes', [Tools])], Agent);



async function startAgentApp(agentLogger = logger, integrations = []) {
  class BenchModule {}
  Reflect.decorate([Module({ imports: [AgentLoggingModule.forRoot({ logger: agentLogger, integrations })], providers: [Tools, Model, Agent] })], BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  return { app, tools: app.get(Tools), model: app.get(Model), agent: app.get(Agent) };
}

module.exports = { startAgentApp, Agent };
