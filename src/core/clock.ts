import { performance } from 'node:perf_hooks';

/**
 * Latencies come from the monotonic clock, so an NTP step or a leap second
 * cannot make a step last a negative time; timestamps come from the wall clock,
 * because that is what a person searching the logs has.
 */
export const monotonicNow = (): number => performance.now();

/** Milliseconds between two monotonic readings, rounded to microseconds. */
export function elapsedMs(since: number, until: number = monotonicNow()): number {
  return Math.round((until - since) * 1000) / 1000;
}

// Every event carries an ISO timestamp, and `Date#toISOString` is one of the
// dearer calls on the hot path: format the date and time once per second, the
// milliseconds per event, and reuse the whole string within a millisecond (the
// events a step writes when it starts share theirs).
let secondStart = Number.NaN;
let secondPrefix = '';
let lastNow = Number.NaN;
let lastIso = '';

/** The wall clock as ISO 8601 UTC with milliseconds, as `new Date().toISOString()` gives it. */
export function isoNow(now: number = Date.now()): string {
  if (now === lastNow) return lastIso;
  lastNow = now;
  lastIso = format(now);
  return lastIso;
}

function format(now: number): string {
  const ms = now - secondStart;
  if (ms >= 0 && ms < 1000) return `${secondPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
  const iso = new Date(now).toISOString();
  // Years past 9999 (or before 0) are formatted with six digits and a sign; never cache those.
  if (iso.length === 24) {
    secondStart = now - (now % 1000 + 1000) % 1000;
    secondPrefix = iso.slice(0, 20);
  }
  return iso;
}
