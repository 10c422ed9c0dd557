import type { ModelReading } from './providers/index.js';

/** How a run or a step ended, as the return-shape handlers observe it. */
export type Outcome =
  | { readonly type: 'ok'; readonly value: unknown }
  | { readonly type: 'error'; readonly error: unknown }
  | { readonly type: 'cancelled' };

/** Anything with a lifecycle the return-shape handlers can close. */
export interface Span {
  /** Idempotent: only the first call counts. Never throws. */
  end(outcome: Outcome): void;
  /** Sees each item of a stream (to read token usage from the last chunk, say). */
  observe?(item: unknown): void;
  /** What an SDK's own objects told beside the value (a request id from a response header). */
  note?(facts: ModelReading): void;
}
