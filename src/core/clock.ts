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

export const isoNow = (): string => new Date().toISOString();
