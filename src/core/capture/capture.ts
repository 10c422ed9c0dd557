import redact from '@pinojs/redact';
import { configure } from 'safe-stable-stringify';
import { AgentLoggingConfigError } from '../errors.js';
import { createScrubber } from '../redaction/scrubber.js';

/**
 * Opt-in capture of raw values, for development. Off by default: prompts,
 * arguments and results are customers' personal data, and a log is copied to
 * more places (shippers, indexes, backups, laptops) than anyone can delete
 * from. Turned on, each value still goes through redaction, scrubbing and a cap.
 */
export interface CaptureOptions {
  /** `task` on run_started and `args` on tool_call. */
  args?: boolean;
  /** `result` on tool_result. */
  results?: boolean;
  /** `prompt` on the agent_step of a model call: the model method's arguments. */
  prompts?: boolean;
  /** `output` on llm_result. */
  outputs?: boolean;
  /** pino redact paths applied before anything else, e.g. `['password', '*.token', 'card.number']`. */
  redact?: string[];
  /** Cap, in characters, of each captured value. Default 2000. */
  maxLength?: number;
}

/** Serialises, redacts, scrubs and caps one value for a log line. Never throws. */
export type Capturer = (value: unknown) => string;

/** Which opt-in field a value is for. */
export type CaptureKind = 'args' | 'results' | 'prompts' | 'outputs';

/** The captured text of a value for one opt-in field, or undefined when that capture is off (the default). */
export type Capture = (kind: CaptureKind, value: unknown) => string | undefined;

export const DEFAULT_CAPTURE_MAX_LENGTH = 2000;

// Bounded depth and breadth: a captured value is for a person to read, and the
// serialiser must not walk a million-element array to produce 2000 characters.
const stringify = configure({ bigint: true, circularValue: '[Circular]', deterministic: true, maximumDepth: 8, maximumBreadth: 100 });

/** Builds the capture pipeline; a bad redact path fails here, at configuration time. */
export function createCapturer(options: CaptureOptions, scrubPatterns: RegExp[] = []): Capturer {
  const maxLength = options.maxLength ?? DEFAULT_CAPTURE_MAX_LENGTH;
  // A huge string anywhere in the value is cut before it is copied into JSON.
  const cutLongStrings = (_key: string, v: unknown) => (typeof v === 'string' && v.length > maxLength * 2 ? v.slice(0, maxLength * 2) : v);
  const plain = (v: unknown): string => stringify(v, cutLongStrings) ?? 'undefined';
  let serialize = plain;
  if (options.redact?.length) {
    try {
      const redactor = redact({ paths: options.redact, censor: '[Redacted]', serialize: plain, strict: false });
      // With strict: false a primitive comes back as is, unserialised.
      serialize = (v) => {
        const out = redactor(v);
        return typeof out === 'string' ? out : plain(out);
      };
    } catch (err) {
      throw new AgentLoggingConfigError(`capture.redact: ${(err as Error).message}`);
    }
  }
  const scrub = createScrubber({ mode: 'scrubbed', maxLength, patterns: scrubPatterns });
  return (value) => {
    try {
      return scrub(serialize(value)) ?? '';
    } catch {
      return '[uncapturable]';
    }
  };
}

/**
 * The engine's view of capture: nothing at all unless the application opted
 * in, and then only the kinds it named. An undefined value (a stream's end, a
 * void tool) is not captured.
 */
export function createCapture(options: CaptureOptions | undefined, scrubPatterns: RegExp[] = []): Capture {
  const on: Record<CaptureKind, boolean> = {
    args: options?.args === true,
    results: options?.results === true,
    prompts: options?.prompts === true,
    outputs: options?.outputs === true,
  };
  if (!options || !(on.args || on.results || on.prompts || on.outputs)) return () => undefined;
  const capturer = createCapturer(options, scrubPatterns);
  return (kind, value) => (on[kind] && value !== undefined ? capturer(value) : undefined);
}
