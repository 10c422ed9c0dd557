import type { Logger } from 'pino';
import type { EventSink, RunBindings, RunWriter } from './event-sink';
import { emittingEvent } from './emitting-event';

/**
 * Events go through a child of the application's root pino logger: the run's
 * fixed fields are serialised once into the child's bindings instead of on
 * every line, and the child is made from the root, never from a request-bound
 * logger, so no request headers or cookies ride along by accident.
 */
export function createPinoSink(getLogger: () => Logger): EventSink {
  return {
    openRun(bindings: RunBindings): RunWriter {
      const child = getLogger().child(bindings);
      return {
        write(level, event) {
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
      getLogger().flush(done);
    },
  };
}
