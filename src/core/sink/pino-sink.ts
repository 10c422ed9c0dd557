import type { Logger } from 'pino';
import type { EventSink, RunBindings, RunWriter } from './event-sink';
import { destinationOf, guardDestination, isUnwritable } from './destination-guard';
import { emittingEvent } from './emitting-event';

/**
 * Events go through a child of the application's root pino logger: the run's
 * fixed fields are serialised once into the child's bindings instead of on
 * every line, and the child is made from the root, never from a request-bound
 * logger, so no request headers or cookies ride along by accident.
 *
 * `onDrop` hears of every event that could not be written: the destination
 * failed (asynchronously, through its 'error' event) or is known to be gone.
 */
function flushDestinationSync(logger: Logger): void {
  const destination = destinationOf(logger);
  if (!destination?.flushSync || destination.destroyed) return;
  try {
    destination.flushSync();
  } catch {
    // not ready yet (no fd), or a plain stream that cannot: pino's own flush follows
  }
}

export function createPinoSink(getLogger: () => Logger, onDrop: (err: unknown) => void): EventSink {
  return {
    openRun(bindings: RunBindings): RunWriter {
      const root = getLogger();
      const destination = guardDestination(root, onDrop);
      const child = root.child(bindings);
      return {
        write(level, event) {
          if (isUnwritable(destination)) {
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
      };
    },
    flush(done) {
      // sonic-boom's flush(cb) calls back at once when minLength is 0 (the
      // default) even while lines wait behind a write in progress, so those
      // would die with the process: write them out synchronously first. Then
      // pino's flush, which for a transport (thread-stream) has the worker
      // flush its own destination.
      const logger = getLogger();
      flushDestinationSync(logger);
      logger.flush(done);
    },
    flushSync() {
      flushDestinationSync(getLogger());
    },
  };
}
