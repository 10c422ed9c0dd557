import { runSpec, type AgentRunOptions } from '../core/specs.js';
import { decorateMethod } from './decorate-method.js';

/**
 * Marks a method as an agent run: each call writes run_started, then
 * run_finished with totals when its result is done (value, Promise,
 * Observable or async iterator). Steps called inside belong to it.
 *
 * @example
 * @AgentRun('support')
 * async answer(question: string) { ... }
 */
export const AgentRun = (nameOrOptions?: string | AgentRunOptions): MethodDecorator =>
  decorateMethod('AgentRun', (defaultName) => runSpec(nameOrOptions, defaultName));
