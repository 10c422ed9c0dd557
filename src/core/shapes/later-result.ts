import type { Span } from '../outcome.js';
import { completionOf } from '../providers/index.js';

/**
 * A result some format completes only later without being iterated (the AI
 * SDK's `streamText` result, see providers/ai-sdk-stream.ts), followed to that
 * completion: the step or run lasts as long as the stream whoever reads it
 * reads, and ends with its final usage; nothing is read or consumed that the
 * caller would not have. A reader cancelling the stream is `cancelled`. The
 * caller gets the very same object; undefined when the value is no such result.
 */
export function followLaterResult(value: object, span: Span): object | undefined {
  const later = completionOf(value);
  if (!later) return undefined;
  later.then(
    (final) => span.end({ type: 'ok', value: final }),
    (error: unknown) => span.end(isAbort(error) ? { type: 'cancelled' } : { type: 'error', error }),
  );
  return value;
}

function isAbort(error: unknown): boolean {
  try {
    return error instanceof Error && error.name === 'AbortError';
  } catch {
    return false;
  }
}
