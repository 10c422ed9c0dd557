/**
 * The loop guard: a run calling one tool with the same arguments again and
 * again is stuck. A call's signature is its tool name and `args_hash`; results
 * are not compared (they jitter: timestamps, ids). Only tool calls count, so a
 * model call between two tool calls does not break a streak.
 */

/** How the loop guard judges a run (module, `@AgentRun`) or one tool (`@AgentTool`). */
export interface LoopGuardOptions {
  /** The same call this many times in a row is a loop. Default 3. */
  consecutive?: number;
  /** Also watch the run's last `window` tool calls (run and module only). Default: off. */
  window?: number;
  /** The same call this many times within the window is a loop. Needs `window`. */
  windowRepeats?: number;
  /** `warn` (default) writes `loop_detected`; `refuse` also refuses the next such call (LoopDetectedError). */
  mode?: 'warn' | 'refuse';
}

/** The module's and a run's setting: `true` for the defaults, `false` off, or options. */
export type LoopGuardSetting = boolean | LoopGuardOptions;
/** A tool's setting: `false` exempts it (a polling tool), options tune the run's guard for it. */
export type ToolLoopGuardSetting = false | Omit<LoopGuardOptions, 'window'>;

export interface ResolvedLoopGuard {
  readonly consecutive: number;
  readonly window?: number;
  readonly windowRepeats?: number;
  readonly mode: 'warn' | 'refuse';
}

const DEFAULTS: ResolvedLoopGuard = { consecutive: 3, mode: 'warn' };
/** A window is held per run in flight: bounded. */
export const MAX_LOOP_WINDOW = 1000;
const KEYS = ['consecutive', 'window', 'windowRepeats', 'mode'];

const isCount = (v: unknown, min: number, max: number): boolean => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;

/** What is wrong with a loop guard setting, or undefined. `forTool`: false or options without `window`. */
export function loopGuardProblem(value: unknown, forTool = false): string | undefined {
  if (value === false || (value === true && !forTool)) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return forTool ? 'false (exempt) or an object { consecutive?, windowRepeats?, mode? }' : 'true, false or an object { consecutive?, window?, windowRepeats?, mode? }';
  }
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KEYS.includes(key) || (forTool && key === 'window')) {
      return `an object without "${key}" (known: ${KEYS.filter((k) => !forTool || k !== 'window').join(', ')}${forTool ? '; the window is the run\'s' : ''})`;
    }
  }
  if (o.consecutive !== undefined && !isCount(o.consecutive, 2, MAX_LOOP_WINDOW)) return `an object whose "consecutive" is an integer from 2 to ${MAX_LOOP_WINDOW}`;
  if (o.window !== undefined && !isCount(o.window, 2, MAX_LOOP_WINDOW)) return `an object whose "window" is an integer from 2 to ${MAX_LOOP_WINDOW}`;
  if (o.windowRepeats !== undefined && !isCount(o.windowRepeats, 2, MAX_LOOP_WINDOW)) return `an object whose "windowRepeats" is an integer from 2 to ${MAX_LOOP_WINDOW}`;
  if (!forTool && (o.window === undefined) !== (o.windowRepeats === undefined)) return 'an object with both "window" and "windowRepeats", or neither';
  if (o.window !== undefined && (o.windowRepeats as number) > (o.window as number)) return 'an object whose "windowRepeats" is at most its "window"';
  if (o.mode !== undefined && o.mode !== 'warn' && o.mode !== 'refuse') return 'an object whose "mode" is "warn" or "refuse"';
  return undefined;
}

const defined = (o: LoopGuardOptions): LoopGuardOptions =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as LoopGuardOptions;

/**
 * The guard a run works with: the run's setting over the module's. `false`
 * anywhere on the way turns it off; an object on the run enables it even when
 * the module has none. Undefined when off.
 */
export function resolveLoopGuard(moduleSetting: LoopGuardSetting | undefined, runSetting: LoopGuardSetting | undefined): ResolvedLoopGuard | undefined {
  if (runSetting === false) return undefined;
  if (runSetting === undefined && (moduleSetting === undefined || moduleSetting === false)) return undefined;
  const base = typeof moduleSetting === 'object' ? defined(moduleSetting) : {};
  const own = typeof runSetting === 'object' ? defined(runSetting) : {};
  return { ...DEFAULTS, ...base, ...own } as ResolvedLoopGuard;
}

/** The run's guard as it applies to one tool; undefined for an exempt tool. */
export function forTool(guard: ResolvedLoopGuard, toolSetting: ToolLoopGuardSetting | undefined): ResolvedLoopGuard | undefined {
  if (toolSetting === undefined) return guard;
  if (toolSetting === false) return undefined;
  const merged = { ...guard, ...defined(toolSetting) } as ResolvedLoopGuard;
  // A tool's own windowRepeats only counts within the run's window.
  return merged.window === undefined ? { ...merged, windowRepeats: undefined } : merged;
}

/** What the guard found on one call. */
export interface LoopVerdict {
  readonly rule: 'consecutive' | 'window';
  readonly repeats: number;
  readonly action: 'warned' | 'refused';
}

/**
 * One run's memory of its recent tool calls: the current streak and, with a
 * window, the last `window` calls with a count per signature. A signature is
 * held as its two strings, never joined: a joined key would be a new string
 * to copy and hash on every call.
 */
export class LoopTracker {
  private lastTool?: string;
  private lastHash?: string;
  private streak = 0;
  private readonly ringTools?: (string | undefined)[];
  private readonly ringHashes?: string[];
  /** Per tool, per args hash: how many of the window's calls have that signature. */
  private readonly counts?: Map<string, Map<string, number>>;
  private head = 0;

  constructor(window: number | undefined) {
    if (window !== undefined) {
      this.ringTools = new Array<string | undefined>(window);
      this.ringHashes = new Array<string>(window);
      this.counts = new Map();
    }
  }

  /**
   * Sees one call and says whether it completes a loop (`warned`, once per
   * streak or per crossing of the window's count) or, in mode `refuse`,
   * repeats one already reported (`refused`). A refused call is remembered
   * too, so the same call keeps being refused.
   */
  see(tool: string, hash: string, guard: ResolvedLoopGuard): LoopVerdict | undefined {
    const streak = tool === this.lastTool && hash === this.lastHash ? this.streak + 1 : 1;
    this.lastTool = tool;
    this.lastHash = hash;
    this.streak = streak;
    const inWindow = this.remember(tool, hash);
    const repeats = guard.windowRepeats;
    if (guard.mode === 'refuse') {
      if (streak > guard.consecutive) return { rule: 'consecutive', repeats: streak, action: 'refused' };
      if (repeats !== undefined && inWindow > repeats) return { rule: 'window', repeats: inWindow, action: 'refused' };
    }
    if (streak === guard.consecutive) return { rule: 'consecutive', repeats: streak, action: 'warned' };
    if (repeats !== undefined && inWindow === repeats) return { rule: 'window', repeats: inWindow, action: 'warned' };
    return undefined;
  }

  /** Adds the call to the window; its signature's count within the window, this call included. */
  private remember(tool: string, hash: string): number {
    const { ringTools, ringHashes, counts } = this;
    if (!ringTools || !ringHashes || !counts) return 0;
    const head = this.head;
    const evictedTool = ringTools[head];
    if (evictedTool !== undefined) {
      const byHash = counts.get(evictedTool)!;
      const evictedHash = ringHashes[head];
      const left = byHash.get(evictedHash)! - 1;
      if (left === 0) byHash.delete(evictedHash);
      else byHash.set(evictedHash, left);
    }
    ringTools[head] = tool;
    ringHashes[head] = hash;
    this.head = (head + 1) % ringTools.length;
    let byHash = counts.get(tool);
    if (byHash === undefined) counts.set(tool, (byHash = new Map()));
    const count = (byHash.get(hash) ?? 0) + 1;
    byHash.set(hash, count);
    return count;
  }
}
