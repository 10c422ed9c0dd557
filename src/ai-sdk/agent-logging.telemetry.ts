// The AI SDK ships ES modules only; only its types are imported, so nothing of it is loaded here.
import type { Telemetry } from 'ai' with { 'resolution-mode': 'import' };
import { AgentLoggingConfigError } from '../core/errors.js';
import { beginRun, beginStep, frameKind, inHook, isRefusal } from '../core/lifecycle.js';
import type { Outcome } from '../core/outcome.js';
import type { Run } from '../core/run.js';
import { currentFrame, runInFrame, type Frame } from '../core/run-context.js';
import { defaultNameOf, isValidName, type RunSpec } from '../core/specs.js';
import type { Step } from '../core/step.js';
import { isStepCapStop } from './step-cap.js';
import type { CallEvent, EndEvent, ModelEndEvent, ModelStartEvent, StartEvent, ToolEndEvent, ToolStartEvent } from './telemetry-events.js';

/** Options of `agentLoggingTelemetry()`. */
export interface AgentLoggingTelemetryOptions {
  /**
   * The `agent` of the run opened for a call made outside any run. Default: the
   * call's `telemetry.functionId`, else the operation (`ai.generateText`, `ai.streamText`).
   */
  agent?: string;
}

/** The text operations whose loop this follows; embeddings, images and the rest are not agent steps. */
const OPERATIONS = new Set(['ai.generateText', 'ai.streamText']);

/** One `generateText` / `streamText` call in flight: where its steps go, and the steps still open. */
interface Operation {
  readonly run: Run;
  /** The run's own frame, or the sub-agent's: its steps are children of this span. */
  readonly frame: Frame;
  /** Opened for this call (none was current, or it was called from a tool): ended with it. */
  readonly owned: boolean;
  model?: Step;
  /** The step guard refused the model call about to start: its execution fails with this. */
  refusedModel?: unknown;
  readonly tools: Map<string, Step | { refused: unknown }>;
}

/**
 * The AI SDK's telemetry integration that writes the standard events of every
 * `generateText` / `streamText` loop (and `ToolLoopAgent`, built on them):
 * each model call as an `llm_call` step with the SDK's own usage and finish
 * reason, each tool execution as a `tool_call` step hashed over the tool's
 * input and carrying the model's `tool_call_id`, in the order the loop takes
 * them. The call joins the run it is made in; made outside any run it opens
 * one, and made from a tool it opens a sub-agent run under that tool's step.
 * Tool code and the model call run in their step's context, so decorated
 * services called from a tool belong to its step.
 *
 * @example
 * import { registerTelemetry } from 'ai';
 * import { agentLoggingTelemetry } from 'nestjs-agent-logging/ai-sdk';
 * registerTelemetry(agentLoggingTelemetry());
 */
export function agentLoggingTelemetry(options: AgentLoggingTelemetryOptions = {}): Telemetry {
  if (options.agent !== undefined && !isValidName(options.agent)) {
    // Checked as the decorators check their names: at configuration time.
    throw new AgentLoggingConfigError(`agentLoggingTelemetry: invalid agent name ${JSON.stringify(String(options.agent)).slice(0, 80)}`);
  }
  const operations = new Map<string, Operation>();

  const opened = (event: StartEvent, parent: Frame | undefined): Operation | undefined => {
    const name = isValidName(event.functionId) ? event.functionId : options.agent ?? defaultNameOf(event.operationId ?? 'ai');
    const spec: RunSpec = { kind: 'run', agent: name };
    const run = beginRun(spec, parent, [{ instructions: event.instructions, messages: event.messages }]);
    return run && { run, frame: run, owned: true, tools: new Map() };
  };

  const telemetry = {
    onStart(event: StartEvent): void {
      if (!OPERATIONS.has(event.operationId ?? '')) return;
      sweep();
      const parent = currentFrame();
      const kind = frameKind(parent);
      // Inside a decorated model call, that call is the step: logging its loop too would count it twice.
      if (kind === 'llm') return;
      const operation = kind === 'run' ? { run: parent!.run!, frame: parent!, owned: false, tools: new Map() } : opened(event, parent);
      if (operation) operations.set(event.callId, operation);
    },

    onLanguageModelCallStart(event: ModelStartEvent): void {
      const operation = operations.get(event.callId);
      if (!operation) return;
      const model = isValidName(event.modelId) ? event.modelId : undefined;
      try {
        operation.model = beginStep({ kind: 'llm', model, fallbackModel: 'ai_sdk' }, operation.frame, [
          { instructions: event.instructions, messages: event.messages },
        ]);
      } catch (refused) {
        if (!isRefusal(refused)) throw refused;
        operation.refusedModel = refused;
      }
    },

    executeLanguageModelCall<T>({ callId, execute }: { callId: string; execute: () => PromiseLike<T> }): PromiseLike<T> {
      const operation = operations.get(callId);
      if (operation?.refusedModel !== undefined) {
        const refused = operation.refusedModel;
        operation.refusedModel = undefined;
        return Promise.reject(refused);
      }
      const step = operation?.model;
      return step ? runInFrame(step, execute) : execute();
    },

    onLanguageModelCallEnd(event: ModelEndEvent): void {
      const operation = operations.get(event.callId);
      const step = operation?.model;
      if (!step) return;
      operation.model = undefined;
      // `openai.chat`, `anthropic.messages`: the provider is the part before the API's name.
      if (typeof event.provider === 'string') step.note({ provider: event.provider.split('.')[0] });
      // Shaped as a result the AI SDK reader reads; the content is the output captured when capture is on.
      const { content, usage, finishReason, responseId, modelId } = event;
      step.end({ type: 'ok', value: { content, usage, finishReason, response: { id: responseId, modelId } } });
    },

    onToolExecutionStart(event: ToolStartEvent): void {
      const operation = operations.get(event.callId);
      if (!operation) return;
      const { toolCallId, toolName, input } = event.toolCall;
      const tool = isValidName(toolName) ? toolName : defaultNameOf(String(toolName));
      try {
        // The tool's input only: `execute`'s second argument (toolCallId, messages, abortSignal) differs on every call.
        const step = beginStep({ kind: 'tool', tool }, operation.frame, [input], toolCallId);
        if (step) operation.tools.set(toolCallId, step);
      } catch (refused) {
        if (!isRefusal(refused)) throw refused;
        operation.tools.set(toolCallId, { refused });
      }
    },

    executeTool<T>({ callId, toolCallId, execute }: { callId: string; toolCallId: string; execute: () => PromiseLike<T> }): PromiseLike<T> {
      const entry = operations.get(callId)?.tools.get(toolCallId);
      if (entry === undefined) return execute();
      // The SDK reports a refused tool to the model as a failed one; the next model call is then refused too.
      if ('refused' in entry) return Promise.reject(entry.refused);
      return runInFrame(entry, execute);
    },

    onToolExecutionEnd(event: ToolEndEvent): void {
      const operation = operations.get(event.callId);
      const entry = operation?.tools.get(event.toolCall.toolCallId);
      if (!entry) return;
      operation!.tools.delete(event.toolCall.toolCallId);
      if ('refused' in entry) return;
      const out = event.toolOutput;
      entry.end(out.type === 'tool-error' ? { type: 'error', error: out.error } : { type: 'ok', value: out.output });
    },

    onStepError(event: CallEvent & { error?: unknown }): void {
      const operation = operations.get(event.callId);
      if (!operation?.model) return;
      operation.model.end({ type: 'error', error: event.error });
      operation.model = undefined;
    },

    onEnd(event: EndEvent): void {
      const operation = take(event.callId, { type: 'cancelled' });
      if (!operation) return;
      if (isStepCapStop(event.finalStep ?? event.steps?.at(-1))) operation.run.reachedStepCap();
      if (operation.owned) operation.run.end({ type: 'ok', value: undefined });
    },

    onError(event: unknown): void {
      const { callId, error } = (event ?? {}) as { callId?: string; error?: unknown };
      const operation = callId === undefined ? undefined : take(callId, { type: 'error', error });
      if (!operation) return;
      if (operation.owned) operation.run.end({ type: 'error', error });
    },

    onAbort(event: CallEvent): void {
      const operation = take(event.callId, { type: 'cancelled' });
      if (operation?.owned) operation.run.end({ type: 'cancelled' });
    },
  };

  /** Removes a finished call, ending what it left open: its failed model call, a tool still running when it was aborted. */
  function take(callId: string, open: Outcome): Operation | undefined {
    const operation = operations.get(callId);
    if (!operation) return undefined;
    operations.delete(callId);
    operation.model?.end(open);
    for (const entry of operation.tools.values()) if (!('refused' in entry)) entry.end({ type: 'cancelled' });
    return operation;
  }

  /** Forgets calls whose run has ended without them (a `streamText` result nobody read to its end). */
  function sweep(): void {
    for (const [callId, operation] of operations) if (operation.run.isFinished) operations.delete(callId);
  }

  return guarded(telemetry) as unknown as Telemetry;
}

/**
 * Each hook inside a try: a fault in our bookkeeping is counted, never thrown
 * into the loop (the SDK would swallow it silently from a callback, and fail
 * the call from `executeTool`). The `execute*` wrappers' own promise is
 * returned as is: its rejection is the tool's or the model's, not ours.
 */
function guarded<T extends Record<string, (...args: never[]) => unknown>>(hooks: T): T {
  const out = {} as Record<string, unknown>;
  for (const [name, hook] of Object.entries(hooks)) {
    out[name] = name.startsWith('execute')
      ? (options: { execute: () => unknown }) => {
          let result: unknown;
          let ran = false;
          inHook(() => {
            result = Reflect.apply(hook, hooks, [options]);
            ran = true;
          });
          // Ours failed before the tool or the model call started: it runs unlogged.
          return ran ? result : options.execute();
        }
      : (...args: unknown[]) => inHook(() => void Reflect.apply(hook, hooks, args));
  }
  return out as T;
}
