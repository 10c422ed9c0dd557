import { AsyncLocalStorage } from 'node:async_hooks';
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';
import { beginRun, beginStep, frameKind } from '../core/lifecycle.js';
import type { Outcome } from '../core/outcome.js';
import type { Run } from '../core/run.js';
import { addContextBridge, currentFrame, ownFrame, type Frame } from '../core/run-context.js';
import { isStepCapError } from '../core/step-cap-error.js';
import type { StepSpec } from '../core/specs.js';
import type { Step } from '../core/step.js';

/** What one LangChain run (a chain, a model call, a tool call) is to us. */
interface Entry {
  /** What code inside this LangChain run sees as the current frame. */
  readonly frame: Frame;
  /** Our own storage's frame when it started: the bridge answers only for code still in that frame. */
  readonly origin: Frame | undefined;
  readonly step?: Step;
  /** A run opened for it (none was current, or a chain started from a tool): ended with it. */
  readonly run?: Run;
}

/** LangChain runs in flight, by LangChain's run id; shared by every handler instance. */
const entries = new Map<string, Entry>();

let bridged = false;

/**
 * Code a LangChain tool runs is in LangChain's own AsyncLocalStorage (the
 * tool's config, whose callbacks' parent run is the tool run), not in ours.
 * The bridge reads that parent run and answers with its step, so a decorated
 * service the tool calls belongs to the tool's step (langfuse #9473 is what
 * happens without). It answers only while our own frame is still the one the
 * LangChain run started in: inside a decorated call made from the tool, that
 * call's own frame wins. LangChain's storage is only made, as importing
 * `@langchain/core/context` or `@langchain/langgraph` does, if nothing made it yet.
 */
export function bridgeLangChainContext(): void {
  if (bridged) return;
  bridged = true;
  AsyncLocalStorageProviderSingleton.initializeGlobalInstance(new AsyncLocalStorage());
  addContextBridge((own) => {
    if (entries.size === 0) return undefined;
    const callbacks = (AsyncLocalStorageProviderSingleton.getRunnableConfig() as { callbacks?: unknown } | undefined)?.callbacks;
    const parentRunId = (callbacks as { getParentRunId?: () => string | undefined } | undefined)?.getParentRunId?.();
    const entry = parentRunId === undefined ? undefined : entries.get(parentRunId);
    return entry && entry.origin === own ? entry.frame : undefined;
  });
}

/** Where a LangChain run starting under `parentRunId` belongs: its LangChain parent's frame, or the current one. */
function contextOf(parentRunId: string | undefined, own: Frame | undefined): Frame | undefined {
  const parent = parentRunId === undefined ? undefined : entries.get(parentRunId);
  return parent && parent.origin === own ? parent.frame : currentFrame();
}

export interface StartOptions {
  /** The agent of a run opened for it. */
  agent: string;
  /** A model or tool call's step; none for a chain. */
  step?: { spec: StepSpec; args: readonly unknown[]; toolCallId?: string };
}

/**
 * A LangChain run starts. A chain made outside any run opens one, and so does
 * a chain made from a tool (a sub-agent); otherwise a chain joins the frame it
 * starts in. A model or tool call is a step of the frame's run (opening a run
 * first when there is none). Inside a decorated model call, LangChain's runs
 * are that call's own work and write nothing.
 */
export function startEntry(runId: string, parentRunId: string | undefined, options: StartOptions): void {
  const own = ownFrame();
  const context = contextOf(parentRunId, own);
  const kind = frameKind(context);
  if (kind === 'llm') {
    entries.set(runId, { frame: context!, origin: own });
    return;
  }
  let frame = context;
  let run: Run | undefined;
  if (kind === undefined || (kind === 'tool' && !options.step)) {
    run = beginRun({ kind: 'run', agent: options.agent }, context, []);
    if (!run) return;
    frame = run;
  }
  if (!options.step) {
    entries.set(runId, { frame: frame!, origin: own, run });
    return;
  }
  // Throws MaxStepsExceededError when the step budget is spent: the handler makes it LangChain's failure.
  const step = beginStep(options.step.spec, frame, options.step.args, options.step.toolCallId);
  if (step || run) entries.set(runId, { frame: step ?? frame!, origin: own, step, run });
}

/** A LangChain run ends: its step, then the run opened for it. */
export function endEntry(runId: string, outcome: Outcome): void {
  const entry = entries.get(runId);
  if (!entry) return;
  entries.delete(runId);
  entry.step?.end(outcome);
  // LangGraph's recursion limit: the run ends `max_steps` even where the code catches the error.
  if (outcome.type === 'error' && isStepCapError(outcome.error)) entry.frame.run?.reachedStepCap();
  entry.run?.end(outcome);
}
