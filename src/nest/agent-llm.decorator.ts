import { llmSpec, type AgentLlmOptions } from '../core/specs.js';
import { decorateMethod } from './decorate-method.js';

/**
 * Marks a method as a model call: inside a run each call is a step, written as
 * agent_step and llm_result, with token usage read from the result (OpenAI,
 * Anthropic and Vercel AI SDK shapes, or your own `tokenUsage` reader).
 *
 * @example
 * @AgentLlm({ model: 'gpt-4o-mini' })
 * async complete(messages: Message[]) { ... }
 */
export const AgentLlm = (modelOrOptions?: string | AgentLlmOptions): MethodDecorator =>
  decorateMethod('AgentLlm', (defaultName) => llmSpec(modelOrOptions, defaultName));
