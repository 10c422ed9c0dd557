import type { Logger } from 'pino';
import { pinoSymbolsOf, read } from './pino-internals.js';

/** The part of a destination stream the guard looks at; pino accepts anything with `write`. */
interface Destination {
  write(chunk: string): unknown;
  on?(event: 'error', listener: (err: unknown) => void): unknown;
  flushSync?(): void;
  readonly destroyed?: boolean;
  readonly writableEnded?: boolean;
  readonly errored?: unknown;
}

/** What the sink knows about one destination: whether writing to it is still worth trying. */
export interface DestinationState {
  readonly stream?: Destination;
  broken: boolean;
}

const states = new WeakMap<object, DestinationState>();
const UNKNOWN: DestinationState = { broken: false };

/** The stream a pino logger writes to, read with its own copy of pino's symbols. */
export function destinationOf(logger: Logger): Destination | undefined {
  const symbols = pinoSymbolsOf(logger);
  const stream = symbols && read(logger, symbols.stream);
  return stream !== null && typeof stream === 'object' && typeof (stream as Destination).write === 'function'
    ? (stream as Destination)
    : undefined;
}

/**
 * Watches the destination of a logger we write to, once per stream. A stream
 * that emits 'error' with no listener crashes the process, and pino attaches
 * none to a stream it did not make (nor, for errors other than EPIPE, to its
 * own): a full disk or a closed pipe would take the application down with it.
 * The listener turns that into a counted drop, and marks the stream broken so
 * later events are counted instead of written into the void.
 */
export function guardDestination(logger: Logger, onError: (err: unknown) => void): DestinationState {
  const stream = destinationOf(logger);
  if (!stream) return UNKNOWN;
  const known = states.get(stream);
  if (known) return known;
  const state: DestinationState = { stream, broken: false };
  states.set(stream, state);
  try {
    stream.on?.('error', (err) => {
      state.broken = true;
      onError(err);
    });
  } catch {
    // a stream that refuses listeners is used as it is
  }
  return state;
}

/**
 * Whether an event written now would be lost: the stream failed (its 'error'
 * may still be on its way), was destroyed or ended.
 */
export function isUnwritable(state: DestinationState): boolean {
  const stream = state.stream;
  if (state.broken) return true;
  if (stream === undefined) return false;
  return stream.destroyed === true || stream.writableEnded === true || (stream.errored !== undefined && stream.errored !== null);
}
