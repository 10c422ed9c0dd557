import { toolSpec, type AgentToolOptions } from '../core/specs.js';
import { decorateMethod } from './decorate-method.js';

/**
 * Marks a method as a tool: inside a run each call is a step, written as
 * agent_step, tool_call (with `args_hash`) and tool_result. Outside a run the
 * method is simply called.
 *
 * @example
 * @AgentTool('search_docs')
 * async searchDocs(args: { query: string }) { ... }
 */
export const AgentTool = (nameOrOptions?: string | AgentToolOptions): MethodDecorator =>
  decorateMethod('AgentTool', (defaultName) => toolSpec(nameOrOptions, defaultName));
