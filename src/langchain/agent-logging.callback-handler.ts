import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { Serialized } from '@langchain/core/load/serializable';
import { inHook } from '../core/lifecycle.js';
import { isObj } from '../core/providers/model-reading.js';
import { defaultNameOf, isValidName } from '../core/specs.js';
import { bridgeLangChainContext, endEntry, startEntry, type StartOptions } from './langchain-runs.js';

/** A LangChain name (a run name, a serialized class id) made fit to log. */
function nameOf(runName: unknown, serialized: unknown, fallback: string): string {
  const id = isObj(serialized) && Array.isArray(serialized.id) ? serialized.id.at(-1) : undefined;
  const name = [runName, isObj(serialized) ? serialized.name : undefined, id].find((n) => typeof n === 'string' && n.length > 0);
  return typeof name === 'string' ? (isValidName(name) ? name : defaultNameOf(name)) : fallback;
}

/** The tool's input as the tool took it: LangChain hands callbacks an object input as its JSON text. */
function toolInput(input: string): unknown {
  if (!/^\s*[[{]/.test(input)) return input;
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}

/** A tool's result: the content of the ToolMessage LangChain wrapped it in, else the value itself. */
function toolResult(output: unknown): unknown {
  return isObj(output) && 'tool_call_id' in output && 'content' in output ? output.content : output;
}

/**
 * A LangChain callback handler that writes the standard events of whatever
 * LangChain or LangGraph runs under it: each chat model call as an `llm_call`
 * step with the message's `usage_metadata` and finish reason, each tool call
 * as a `tool_call` step hashed over the tool's input with the model's
 * `tool_call_id`, in the order LangChain reports them (it awaits this handler,
 * so the order is the real one). It joins the current run, or opens one when
 * there is none; a chain started from a tool is a sub-agent run. Decorated
 * services called from a tool belong to the tool's step. LangGraph's
 * recursion limit ends the run `max_steps`.
 *
 * @example
 * await agent.invoke(input, { callbacks: [new AgentLoggingCallbackHandler()] });
 */
export class AgentLoggingCallbackHandler extends BaseCallbackHandler {
  name = 'nestjs_agent_logging';
  /** Awaited inline, so steps start and end where they really do, in the caller's context. */
  override awaitHandlers = true;
  /** Lets the step guard's refusal fail the call; every other fault of ours is counted, never thrown. */
  override raiseError = true;

  constructor(input?: ConstructorParameters<typeof BaseCallbackHandler>[0]) {
    super(input);
    this.awaitHandlers = true;
    this.raiseError = true;
    bridgeLangChainContext();
  }

  // LangChain's CallbackManager calls handleChainStart with (chain, inputs, runId, parentRunId, tags,
  // metadata, runType, runName), whatever the declared parameter names say (@langchain/core 1.4).
  override handleChainStart(chain: Serialized, _inputs: unknown, runId: string, parentRunId?: string, _tags?: string[], _metadata?: Record<string, unknown>, _runType?: string, runName?: string): void {
    guard(() => startEntry(runId, parentRunId, { agent: nameOf(runName, chain, 'langchain') }));
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    guard(() => endEntry(runId, { type: 'ok', value: undefined }));
  }

  override handleChainError(err: unknown, runId: string): void {
    guard(() => endEntry(runId, { type: 'error', error: err }));
  }

  override handleChatModelStart(llm: Serialized, messages: unknown[][], runId: string, parentRunId?: string, extraParams?: Record<string, unknown>, _tags?: string[], metadata?: Record<string, unknown>, runName?: string): void {
    guard(() => startEntry(runId, parentRunId, modelStart(llm, messages[0], extraParams, metadata, runName)));
  }

  override handleLLMStart(llm: Serialized, prompts: string[], runId: string, parentRunId?: string, extraParams?: Record<string, unknown>, _tags?: string[], metadata?: Record<string, unknown>, runName?: string): void {
    guard(() => startEntry(runId, parentRunId, modelStart(llm, prompts, extraParams, metadata, runName)));
  }

  override handleLLMEnd(output: { generations?: unknown[][] }, runId: string): void {
    const generation = output?.generations?.[0]?.[0] as { message?: unknown; text?: unknown } | undefined;
    const message = generation?.message ?? generation?.text;
    // The message is the step's result: core's LangChain reader takes its usage and finish reason.
    guard(() => endEntry(runId, { type: 'ok', value: message }));
  }

  override handleLLMError(err: unknown, runId: string): void {
    guard(() => endEntry(runId, { type: 'error', error: err }));
  }

  override handleToolStart(tool: Serialized, input: string, runId: string, parentRunId?: string, _tags?: string[], _metadata?: Record<string, unknown>, runName?: string, toolCallId?: string): void {
    const name = nameOf(runName, tool, 'tool');
    guard(() => startEntry(runId, parentRunId, { agent: name, step: { spec: { kind: 'tool', tool: name }, args: [toolInput(input)], toolCallId } }));
  }

  override handleToolEnd(output: unknown, runId: string): void {
    guard(() => endEntry(runId, { type: 'ok', value: toolResult(output) }));
  }

  override handleToolError(err: unknown, runId: string): void {
    guard(() => endEntry(runId, { type: 'error', error: err }));
  }
}

function modelStart(llm: Serialized, prompt: unknown, extraParams: Record<string, unknown> | undefined, metadata: Record<string, unknown> | undefined, runName: string | undefined): StartOptions {
  const params = isObj(extraParams?.invocation_params) ? extraParams.invocation_params : {};
  const requested = params.model ?? params.model_name ?? metadata?.ls_model_name;
  const model = isValidName(requested) ? requested : undefined;
  return { agent: nameOf(runName, llm, 'langchain'), step: { spec: { kind: 'llm', model, fallbackModel: nameOf(undefined, llm, 'langchain') }, args: [prompt] } };
}

/** Our bookkeeping never fails LangChain's call; only the step guard's refusal does, by design. */
const guard = (handler: () => void): void => inHook(handler, true);
