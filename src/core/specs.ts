import { AgentLoggingConfigError } from './errors.js';
import { loopGuardProblem, type LoopGuardSetting, type ToolLoopGuardSetting } from './guards/loop-guard.js';
import type { UsageExtractor } from './token-usage.js';

/** Options of `@AgentRun` and `withAgentRun`. */
export interface AgentRunOptions {
  /** The run's `agent` name. Default: `ClassName.method`. */
  name?: string;
  /** Refuse the step that would exceed this many; overrides the module's `maxSteps`. */
  maxSteps?: number;
  /** End the run with `timeout` after this long and abort its signal; overrides the module's `timeoutMs`. */
  timeoutMs?: number;
  /** The loop guard for this run, over the module's: `false` turns it off, options tune or enable it (docs/guards.md). */
  loopGuard?: LoopGuardSetting;
  /** Refuse any step once the run has used this many tokens (`budget_exceeded`); overrides the module's `maxTokens`. */
  maxTokens?: number;
  /** Refuse any step once the run's model calls cost this much in USD; needs the module's `prices`. Overrides the module's. */
  maxCostUsd?: number;
}

/** Options of `@AgentTool` and `withAgentTool`. */
export interface AgentToolOptions {
  /** The `tool` name. Default: `ClassName.method`. */
  name?: string;
  /** `false` exempts the tool from the loop guard (a polling tool); options tune the run's guard for it. */
  loopGuard?: ToolLoopGuardSetting;
}

/** Options of `@AgentLlm` and `withAgentLlm`. */
export interface AgentLlmOptions {
  /** The `model` name. Default: the result's `model` field, else `ClassName.method`. */
  model?: string;
  /** Reads token usage from this method's result, instead of the module's extractor. */
  tokenUsage?: UsageExtractor;
}

export interface RunSpec {
  readonly kind: 'run';
  readonly agent: string;
  readonly maxSteps?: number;
  readonly timeoutMs?: number;
  readonly loopGuard?: LoopGuardSetting;
  readonly maxTokens?: number;
  readonly maxCostUsd?: number;
}
export interface ToolSpec {
  readonly kind: 'tool';
  readonly tool: string;
  readonly loopGuard?: ToolLoopGuardSetting;
}
export interface LlmSpec {
  readonly kind: 'llm';
  readonly model?: string;
  readonly fallbackModel: string;
  readonly tokenUsage?: UsageExtractor;
}
/** What a method is declared to return (TypeScript's `design:returntype`), when that says more than its kind. */
export type DeclaredReturn = 'promise' | 'observable';
export type StepSpec = (ToolSpec | LlmSpec) & { readonly returns?: DeclaredReturn };
export type Spec = RunSpec | StepSpec;

// Names reach every log line and the inspector's terminal: identifier-like
// characters only, so a name can never carry a control sequence or a secret.
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:\-/@+]{0,127}$/;

/** Throws a configuration error unless `name` is a usable agent, tool or model name. */
export function assertValidName(kind: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new AgentLoggingConfigError(
      `invalid ${kind} name ${JSON.stringify(String(name)).slice(0, 80)}: use 1-128 characters from A-Z a-z 0-9 _ . : - / @ +, starting with a letter, digit or _`,
    );
  }
}

/** Throws a configuration error unless `value` is undefined or a positive integer. */
export function assertPositiveInt(where: string, value: unknown): asserts value is number | undefined {
  if (value !== undefined && !(typeof value === 'number' && Number.isSafeInteger(value) && value > 0)) {
    throw new AgentLoggingConfigError(`${where} must be a positive integer, got ${String(value)}`);
  }
}

/**
 * A default name (`ClassName.method`) made fit to log: it comes from code the
 * user did not choose to name (a `$` from a minifier, a symbol key, an
 * anonymous class), so it is cleaned up rather than refused. Names the user
 * gives are checked strictly instead.
 */
export function defaultNameOf(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9_.:\-/@+]/g, '_').replace(/^[^A-Za-z0-9_]/, '_').slice(0, 128);
  return cleaned || 'anonymous';
}

/**
 * setTimeout's longest delay. Node turns a longer one into 1 ms, which would
 * time every run out at once: a configuration error, so it is refused here.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Throws a configuration error unless `value` is undefined or a usable timeout in ms. */
export function assertTimeoutMs(where: string, value: unknown): asserts value is number | undefined {
  assertPositiveInt(where, value);
  if (value !== undefined && value > MAX_TIMEOUT_MS) {
    throw new AgentLoggingConfigError(`${where} must be at most ${MAX_TIMEOUT_MS} ms (setTimeout's limit), got ${value}`);
  }
}

function options<T extends object>(kind: string, value: string | T | undefined, allowed: readonly string[]): T & { name?: string } {
  if (value === undefined) return {} as T;
  if (typeof value === 'string') return { name: value } as T & { name?: string };
  if (typeof value !== 'object' || value === null) {
    throw new AgentLoggingConfigError(`@${kind} takes a name or an options object, got ${typeof value}`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new AgentLoggingConfigError(`@${kind}: unknown option "${key}" (known: ${allowed.join(', ')})`);
    }
  }
  return value as T & { name?: string };
}

/** Throws a configuration error unless `value` is undefined or a finite number above 0. */
export function assertPositiveNumber(where: string, value: unknown): asserts value is number | undefined {
  if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new AgentLoggingConfigError(`${where} must be a number above 0, got ${String(value)}`);
  }
}

function assertLoopGuard(where: string, value: unknown, forTool: boolean): void {
  const problem = value === undefined ? undefined : loopGuardProblem(value, forTool);
  if (problem) throw new AgentLoggingConfigError(`${where} loopGuard must be ${problem}`);
}

export function runSpec(value: string | AgentRunOptions | undefined, defaultName: string): RunSpec {
  const o = options<AgentRunOptions>('AgentRun', value, ['name', 'maxSteps', 'timeoutMs', 'loopGuard', 'maxTokens', 'maxCostUsd']);
  const agent = o.name ?? defaultNameOf(defaultName);
  assertValidName('agent', agent);
  const where = `@AgentRun("${agent}")`;
  assertPositiveInt(`${where} maxSteps`, o.maxSteps);
  assertTimeoutMs(`${where} timeoutMs`, o.timeoutMs);
  assertLoopGuard(where, o.loopGuard, false);
  assertPositiveInt(`${where} maxTokens`, o.maxTokens);
  assertPositiveNumber(`${where} maxCostUsd`, o.maxCostUsd);
  return { kind: 'run', agent, maxSteps: o.maxSteps, timeoutMs: o.timeoutMs, loopGuard: o.loopGuard, maxTokens: o.maxTokens, maxCostUsd: o.maxCostUsd };
}

export function toolSpec(value: string | AgentToolOptions | undefined, defaultName: string): ToolSpec {
  const o = options<AgentToolOptions>('AgentTool', value, ['name', 'loopGuard']);
  const tool = o.name ?? defaultNameOf(defaultName);
  assertValidName('tool', tool);
  assertLoopGuard(`@AgentTool("${tool}")`, o.loopGuard, true);
  return { kind: 'tool', tool, loopGuard: o.loopGuard };
}

export function llmSpec(value: string | AgentLlmOptions | undefined, defaultName: string): LlmSpec {
  const o = typeof value === 'string' ? { model: value } : options<AgentLlmOptions>('AgentLlm', value, ['model', 'tokenUsage']);
  if (o.model !== undefined) assertValidName('model', o.model);
  if (o.tokenUsage !== undefined && typeof o.tokenUsage !== 'function') {
    throw new AgentLoggingConfigError(`@AgentLlm tokenUsage must be a function, got ${typeof o.tokenUsage}`);
  }
  return { kind: 'llm', model: o.model, fallbackModel: defaultNameOf(defaultName), tokenUsage: o.tokenUsage };
}

/** Whether a model name found in a result is safe to log as is. */
export const isValidName = (name: unknown): name is string => typeof name === 'string' && NAME.test(name);
