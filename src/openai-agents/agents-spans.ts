import { getCurrentSpan } from '@openai/agents';
import { installedEngine } from '../core/engine.js';
import { beginRun, beginStep, frameKind, isRefusal } from '../core/lifecycle.js';
import type { Outcome } from '../core/outcome.js';
import type { Run } from '../core/run.js';
import { addContextBridge, currentFrame, ownFrame, type Frame } from '../core/run-context.js';
import { defaultNameOf, isValidName } from '../core/specs.js';
import type { Step } from '../core/step.js';
import { modelCallOf, spanErrorOf, type FunctionCall } from './span-data.js';

/** The part of an Agents SDK span read here. */
export interface SpanLike {
  readonly spanId: string;
  readonly traceId: string;
  readonly parentId: string | null;
  readonly spanData: { type: string; [key: string]: unknown };
  readonly error: { message: string; data?: Record<string, unknown> } | null;
}

/** Where runs opened for agents are ended: a task span (one `run()`), or the trace when there is none. */
interface Scope {
  readonly owned: Run[];
  /** The frame of the agent in charge, which a handoff's agent runs under. */
  agent?: Frame;
  /** Tool calls the last model response asked for, to give each function span its `tool_call_id`. */
  calls: FunctionCall[];
}

interface Entry {
  /** What code inside this span sees as the current frame; none outside any run. */
  frame: Frame | undefined;
  /** Our own storage's frame where the trace began: the bridge answers only for code still in it. */
  readonly origin: Frame | undefined;
  readonly scope: Scope;
  readonly span: SpanLike;
  step?: Step;
  /** A function span whose input is set just after it starts: its step is made on first need. */
  pending?: boolean;
  /** Inside a decorated model call: that call is the step, nothing here is written. */
  readonly silent?: boolean;
}

interface TraceState {
  readonly origin: Frame | undefined;
  readonly context: Frame | undefined;
  readonly scope: Scope;
}

const traces = new Map<string, TraceState>();
const entries = new Map<string, Entry>();
let bridged = false;

/**
 * Tool code the SDK runs is inside its own current span (a function span, in
 * its AsyncLocalStorage), not inside our step: the bridge answers with that
 * span's step, so decorated services the tool calls belong to it.
 */
export function bridgeAgentsContext(): void {
  if (bridged) return;
  bridged = true;
  addContextBridge((own) => {
    if (entries.size === 0) return undefined;
    const span = getCurrentSpan() as SpanLike | null;
    const entry = span ? entries.get(span.spanId) : undefined;
    if (!entry || entry.silent || entry.origin !== own) return undefined;
    if (entry.pending) materialize(entry);
    return entry.frame;
  });
}

const newScope = (): Scope => ({ owned: [], calls: [] });

export function traceStarted(traceId: string): void {
  traces.set(traceId, { origin: ownFrame(), context: currentFrame(), scope: newScope() });
}

export function traceEnded(traceId: string): void {
  const trace = traces.get(traceId);
  traces.delete(traceId);
  if (trace) endScope(trace.scope, { type: 'ok', value: undefined });
}

export function spanStarted(span: SpanLike): void {
  let trace = traces.get(span.traceId);
  if (!trace) {
    traceStarted(span.traceId);
    trace = traces.get(span.traceId)!;
  }
  const parent = span.parentId === null ? undefined : entries.get(span.parentId);
  const own = ownFrame();
  // Still in the frame the trace began in: the SDK's own parent says where this span goes.
  const context = own === trace.origin ? (parent ? parent.frame : trace.context) : currentFrame();
  const scope = parent?.scope ?? trace.scope;
  const silent = parent?.silent || frameKind(context) === 'llm';
  const entry: Entry = { frame: context, origin: trace.origin, scope, span, silent };
  if (silent) {
    entries.set(span.spanId, entry);
    return;
  }
  switch (span.spanData.type) {
    case 'task':
      entries.set(span.spanId, { ...entry, scope: newScope() });
      return;
    case 'agent': {
      const frame = agentFrame(span, context, parent, scope);
      if (!frame) return;
      scope.agent = frame;
      entries.set(span.spanId, { ...entry, frame });
      return;
    }
    case 'response':
    case 'generation': {
      const model = span.spanData.model;
      entry.step = safeBegin(() =>
        beginStep({ kind: 'llm', model: isValidName(model) ? model : undefined, fallbackModel: 'openai_agents' }, context, [span.spanData.input]),
      );
      if (entry.step) entry.frame = entry.step;
      entries.set(span.spanId, entry);
      return;
    }
    case 'function':
      entry.pending = true;
      entries.set(span.spanId, entry);
      // The SDK sets the span's input right after starting it, before the tool runs.
      queueMicrotask(() => materialize(entry));
      return;
    default:
      entries.set(span.spanId, entry);
  }
}

export function spanEnded(span: SpanLike): void {
  const entry = entries.get(span.spanId);
  if (!entry) return;
  entries.delete(span.spanId);
  if (entry.silent) return;
  const failed = span.error ? ({ type: 'error', error: spanErrorOf(span.error) } as const) : undefined;
  switch (span.spanData.type) {
    case 'response':
    case 'generation': {
      const call = modelCallOf(span.spanData);
      entry.scope.calls = call.calls;
      entry.step?.end(failed ?? { type: 'ok', value: call.value });
      return;
    }
    case 'function':
      if (entry.pending) materialize(entry);
      entry.step?.end(failed ?? { type: 'ok', value: span.spanData.output });
      return;
    case 'handoff':
      handedOff(entry, failed);
      return;
    case 'guardrail': {
      const run = entry.frame?.run;
      if (span.spanData.triggered === true && run && run.stopReason === undefined) run.stopReason = 'guardrail_tripped';
      return;
    }
    case 'task':
      endScope(entry.scope, failed ?? { type: 'ok', value: undefined });
      return;
  }
}

/**
 * The run an agent span is: the first agent of a `run()` joins the run it is
 * called in, or opens one (under a tool's step: an agent used as a tool is a
 * sub-agent); an agent taking over by handoff is a run nested under the agent
 * that handed off.
 */
function agentFrame(span: SpanLike, context: Frame | undefined, parent: Entry | undefined, scope: Scope): Frame | undefined {
  const name = span.spanData.name;
  const agent = isValidName(name) ? name : defaultNameOf(String(name ?? 'agent'));
  const underTool = parent?.span.spanData.type === 'function';
  const handoffFrom = !underTool ? scope.agent : undefined;
  if (!handoffFrom && frameKind(context) === 'run') return context;
  const run = beginRun({ kind: 'run', agent }, handoffFrom ?? context, []);
  if (run) scope.owned.push(run);
  return run;
}

/** A function span's step, made once its input is known (or at once, when needed before). */
function materialize(entry: Entry): void {
  if (!entry.pending) return;
  entry.pending = false;
  const data = entry.span.spanData;
  const name = typeof data.name === 'string' && data.name ? data.name : 'tool';
  const input = typeof data.input === 'string' ? data.input : '';
  const call = takeCall(entry.scope, (c) => c.name === name && c.arguments === input) ?? takeCall(entry.scope, (c) => c.name === name);
  entry.step = safeBegin(() =>
    beginStep({ kind: 'tool', tool: isValidName(name) ? name : defaultNameOf(name) }, entry.frame, [parseInput(input)], call?.id),
  );
  if (entry.step) entry.frame = entry.step;
}

/** A handoff is the model's call of the handoff tool (`transfer_to_<agent>`): a tool step of the agent handing off. */
function handedOff(entry: Entry, failed: Outcome | undefined): void {
  const to = entry.span.spanData.to_agent;
  const target = typeof to === 'string' ? to.toLowerCase().replace(/[^a-z0-9]+/g, '_') : '';
  const call = takeCall(entry.scope, (c) => target !== '' && c.name.toLowerCase().includes(target));
  const name = call?.name ?? 'handoff';
  const step = safeBegin(() =>
    beginStep({ kind: 'tool', tool: isValidName(name) ? name : defaultNameOf(name) }, entry.frame, [parseInput(call?.arguments ?? '{}')], call?.id),
  );
  step?.end(failed ?? { type: 'ok', value: { to_agent: to } });
}

function takeCall(scope: Scope, match: (call: FunctionCall) => boolean): FunctionCall | undefined {
  const at = scope.calls.findIndex(match);
  return at === -1 ? undefined : scope.calls.splice(at, 1)[0];
}

/** Runs opened in a scope end with it, the last opened first: a handoff's agent before the one that handed off. */
function endScope(scope: Scope, outcome: Outcome): void {
  for (const run of scope.owned.splice(0).reverse()) run.end(outcome);
}

function parseInput(input: string): unknown {
  try {
    return input === '' ? input : (JSON.parse(input) as unknown);
  } catch {
    return input;
  }
}

/** A processor cannot refuse the SDK's call: past the step budget the step is not written, and the run ends `max_steps`. */
function safeBegin(begin: () => Step | undefined): Step | undefined {
  try {
    return begin();
  } catch (err) {
    if (!isRefusal(err)) installedEngine()?.dropped(err);
    return undefined;
  }
}
