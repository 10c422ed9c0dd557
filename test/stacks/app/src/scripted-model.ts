import { Injectable } from '@nestjs/common';
import { AgentLlm } from 'nestjs-agent-logging';

/** A deterministic model with an OpenAI Chat Completions result shape: no network. */
@Injectable()
export class ScriptedModel {
  @AgentLlm({ model: 'scripted-model' })
  async complete(prompt: string) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    return {
      id: 'chatcmpl-1',
      model: 'scripted-model',
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: `about: ${prompt.length} chars` } }],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
    };
  }
}
