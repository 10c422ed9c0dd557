export type ErrorMessageMode = 'scrubbed' | 'raw' | 'omit';

export interface ScrubberOptions {
  /** Default `scrubbed`. */
  mode?: ErrorMessageMode;
  /** Cut after this many characters. */
  maxLength?: number;
  /** Extra patterns to replace, on top of the built-in ones. */
  patterns?: RegExp[];
}

/** Turns a hostile string into one fit for a log line, or undefined to leave the field out. */
export type Scrubber = (text: string) => string | undefined;

// PLACEHOLDER, to be replaced by the full scrubbing (issue 5).
export function createScrubber(options: ScrubberOptions = {}): Scrubber {
  const mode = options.mode ?? 'scrubbed';
  const max = options.maxLength ?? 500;
  return (text) => {
    if (mode === 'omit') return undefined;
    let out = String(text);
    if (mode === 'scrubbed') out = out.replace(/[^\s@]+@[^\s@]+/g, '[email]');
    return out.length > max ? out.slice(0, max) + '…' : out;
  };
}

// PLACEHOLDER (issue 5).
export function assertValidScrubPatterns(patterns: unknown): void {
  if (!Array.isArray(patterns) || !patterns.every((p) => p instanceof RegExp)) throw new Error('scrubPatterns must be RegExp[]');
}
