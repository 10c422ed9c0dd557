import type { Logger } from 'pino';
import type { EventLevel, EventSink, RunBindings, RunWriter } from './event-sink';
import { destinationOf, guardDestination, isUnwritable, type DestinationState } from './destination-guard';
import { emittingEvent } from './emitting-event';

function flushDestinationSync(logger: Logger): void {
  const destination = destinationOf(logger);
  if (!destination?.flushSync || destination.destroyed) return;
  try {
    destination.flushSync();
  } catch {
    // not ready yet (no fd), or a plain stream that cannot: pino's own flush follows
  }
}

/** A class rather than a closure: one is held by every run in flight, so its size counts. */
class PinoRunWriter implements RunWriter {
  constructor(
    private readonly child: Logger,
    private readonly destination: DestinationState,
    private readonly onDrop: (err: unknown) => void,
  ) {}

  write(level: EventLevel, event: object): void {
    if (isUnwritable(this.destination)) {
      this.onDrop(new Error('log destination is closed'));
      return;
    }
    emittingEvent.active = true;
    try {
      this.child[level](event);
    } finally {
      emittingEvent.active = false;
    }
  }
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
    openRun(bindings: RunBindings): RunWriter {
      const root = getLogger();
      return new PinoRunWriter(root.child(bindings), guardDestination(root, onDrop), onDrop);
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
