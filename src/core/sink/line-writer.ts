import { tracingChannel } from 'node:diagnostics_channel';
import type { Logger } from 'pino';
import type { EventLevel } from './event-sink.js';
import { emittingEvent } from './emitting-event.js';
import { eventFields, eventLine } from './event-line.js';
import type { LineFormat } from './line-format.js';
import { PUBLIC_SYMBOLS, read } from './pino-internals.js';

/** pino (9.14 and later) lets tracers see each line being serialised; with one listening, lines go through pino. */
const asJsonChannel = tracingChannel('pino_asJson');

/** pino's own way: the child's level method, with `agentLogMixin` told the line is ours. */
export function throughPino(logger: Logger, level: EventLevel, event: object): void {
  emittingEvent.active = true;
  try {
    logger[level](event);
  } finally {
    emittingEvent.active = false;
  }
}

/**
 * The line pino would write for `event` at `level`, written now; '' when the
 * level is off (pino writes nothing either); undefined when the line must be
 * left to pino.
 */
function directLine(format: LineFormat, logger: Logger, level: EventLevel, event: object): string | undefined {
  const method = logger[level] as unknown;
  const silent = logger.silent as unknown;
  if (method === silent) return '';
  // The level method pino made (genLog's LOG), not one a test spy or an instrumentation wrapped.
  const spec = format.levels[level];
  if (spec === undefined || typeof method !== 'function' || method.name !== 'LOG' || asJsonChannel.hasSubscribers) return undefined;
  const fields = eventFields(format, event);
  if (fields === undefined) return undefined;
  const { symbols, stream } = format;
  // Called as pino calls it, as a method of the logger.
  const time = (logger as unknown as Record<symbol, () => string>)[symbols.time]();
  const line = eventLine(format, spec.prefix, time, read(logger, symbols.chindings) as string, fields);
  if (stream[PUBLIC_SYMBOLS.metadata] === true) {
    // What pino tells a multistream (it routes by level) before each write.
    const target = stream as unknown as Record<string, unknown>;
    target.lastLevel = spec.num;
    target.lastObj = event;
    target.lastMsg = undefined;
    target.lastTime = time.slice(format.timeSliceIndex);
    target.lastLogger = logger;
  }
  return format.streamWrite ? format.streamWrite(line) : line;
}

/**
 * Writes one event, or two consecutive ones, as lines of `logger`: straight
 * to the destination when the bytes are certain, else through pino, in order
 * either way. Two direct lines go in one write where the destination takes
 * that with the same effect, saving the destination's per-write cost.
 */
export function writeEvents(format: LineFormat | undefined, logger: Logger, level: EventLevel, event: object, next?: object): void {
  if (format === undefined) {
    throughPino(logger, level, event);
    if (next !== undefined) throughPino(logger, level, next);
    return;
  }
  const first = directLine(format, logger, level, event);
  if (first === undefined) throughPino(logger, level, event);
  if (next === undefined) {
    if (first) format.stream.write(first);
    return;
  }
  if (first && format.batches) {
    const second = directLine(format, logger, level, next);
    if (second !== undefined) {
      format.stream.write(first + second);
      return;
    }
    format.stream.write(first);
    throughPino(logger, level, next);
    return;
  }
  if (first) format.stream.write(first);
  const second = directLine(format, logger, level, next);
  if (second === undefined) throughPino(logger, level, next);
  else if (second) format.stream.write(second);
}
