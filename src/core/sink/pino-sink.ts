import pino, { type Logger } from 'pino';
import type { EventLevel, EventSink, RunBindings, RunChannel } from './event-sink.js';
import { destinationOf, guardDestination, isUnwritable } from './destination-guard.js';
import { emittingEvent } from './emitting-event.js';

type Destination = NonNullable<ReturnType<typeof destinationOf>>;

/** How long shutdown waits for an asynchronous write in progress before giving up on writing the rest itself. */
const IN_FLIGHT_WAIT_MS = 1000;

// sonic-boom (pino.destination) writes one chunk at a time asynchronously; a
// synchronous write while one is in flight lands before it and reorders lines.
const writing = (destination: Destination | undefined): boolean => (destination as { _writing?: unknown } | undefined)?._writing === true;

/**
 * Only sonic-boom (pino.destination) is flushed synchronously: a transport's
 * thread-stream `flushSync` blocks the thread until its worker has drained,
 * for ever when the worker's own reader stalled (a pipe nobody reads). Its
 * asynchronous flush, bounded by the engine's deadline, is used instead.
 */
const isSonicBoom = (destination: Destination): boolean => typeof (destination as { _writing?: unknown })._writing === 'boolean';

function flushDestinationSync(destination: Destination | undefined): void {
  if (!destination?.flushSync || destination.destroyed || !isSonicBoom(destination) || writing(destination)) return;
  try {
    destination.flushSync();
  } catch {
    // not ready yet (no fd), or a plain stream that cannot: pino's own flush follows
  }
}

/**
 * Calls `then` once no asynchronous write is in progress, or after a bounded
 * wait: a destination whose reader stalled (a backed-up log shipper) must not
 * hold shutdown forever.
 */
function whenNotWriting(destination: Destination | undefined, then: () => void): void {
  const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
  const poll = (): void => {
    if (!writing(destination) || Date.now() >= deadline) then();
    else setTimeout(poll, 1);
  };
  poll();
}

/**
 * Events are the run's story: written at `info`, they must not vanish because
 * the application raised its level to `warn` (a failed run would keep its end
 * and lose its beginning). Only `silent` silences them.
 */
function childFor(root: Logger, bindings: RunBindings): Logger {
  return root.level !== 'silent' && !root.isLevelEnabled('info') ? root.child(bindings, { level: 'info' }) : root.child(bindings);
}

/**
 * pino builds a child's bindings string by appending one field at a time, which
 * leaves a tree of string pieces several times the size of the text. A run in
 * flight holds its child, so the tree is flattened into one string once, when
 * the run opens (pino itself once did this with its `flatstr` helper): the
 * text, and every line written with it, stay the same.
 */
function flattenBindings(child: Logger): void {
  const chindings = (child as unknown as Record<symbol, unknown>)[pino.symbols.chindingsSym];
  // Converting a string to a number makes V8 flatten it in place.
  if (typeof chindings === 'string') Number(chindings);
}

/**
 * Events go through a child of the application's root pino logger: the run's
 * fixed fields are serialised once into the child's bindings instead of on
 * every line, and the child is made from the root, never from a request-bound
 * logger, so no request headers or cookies ride along by accident.
 *
 * `onDrop` hears of every event that could not be written: the destination
 * failed (asynchronously, through its 'error' event) or is known to be gone.
 */
export function createPinoSink(getLogger: () => Logger, onDrop: (err: unknown) => void): EventSink {
  return {
    openRun(bindings: RunBindings): RunChannel {
      const child = childFor(getLogger(), bindings);
      flattenBindings(child);
      return child;
    },
    write(channel: RunChannel, level: EventLevel, event: object): void {
      const child = channel as Logger;
      // The child shares its root's destination: the guard is looked up, not held per run.
      if (isUnwritable(guardDestination(child, onDrop))) {
        onDrop(new Error('log destination is closed'));
        return;
      }
      emittingEvent.active = true;
      try {
        child[level](event);
      } finally {
        emittingEvent.active = false;
      }
    },
    flush(done) {
      // sonic-boom's flush(cb) calls back at once when minLength is 0 (the
      // default) even while lines wait behind a write in progress, so those
      // would die with the process: once that write is done, the rest is
      // written out synchronously. Then pino's flush, which for a transport
      // (thread-stream) has the worker flush its own destination.
      const logger = getLogger();
      const destination = destinationOf(logger);
      whenNotWriting(destination, () => {
        flushDestinationSync(destination);
        logger.flush(done);
      });
    },
    flushSync() {
      // At exit there is no waiting: with a write in flight, pino's own exit
      // handler, which runs after this one, writes what is left.
      flushDestinationSync(destinationOf(getLogger()));
    },
  };
}
