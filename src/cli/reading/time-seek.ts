import { open, type FileHandle } from 'node:fs/promises';
import { isGzip } from './input-sources.js';
import { lineTime } from './log-event.js';

/**
 * The start-time range a run id prefix allows. Run ids are UUID v7: their
 * first 48 bits (12 hex digits, `01a21675-95f7`) are the run's start in epoch
 * milliseconds, taken from the clock that writes `timestamp`. With 8 or more
 * hex digits the range is at most about a minute; with fewer, or a prefix
 * that is not laid out like a UUID, there is no useful range.
 */
export function runIdTimeRange(prefix: string): { from: number; to: number } | undefined {
  // 8 hex digits then a dash or the end: a 32-digit trace id is not a run id's start.
  const m = /^([0-9a-f]{8})(?:$|-([0-9a-f]{0,4}))/.exec(prefix);
  if (!m) return undefined;
  const digits = m[1] + (m[2] ?? '');
  const missing = 12 - digits.length;
  const from = Number.parseInt(digits, 16) * 16 ** missing;
  return { from, to: from + 16 ** missing - 1 };
}

const PROBE = 64 * 1024;

/** The time of the first whole line after `offset` that has one, within PROBE bytes. */
async function timeAfter(handle: FileHandle, offset: number): Promise<number | undefined> {
  const buffer = Buffer.alloc(PROBE);
  const { bytesRead } = await handle.read(buffer, 0, PROBE, offset);
  const lines = buffer.toString('utf8', 0, bytesRead).split('\n');
  // The first piece may be the tail of a line cut by the offset, the last one a line cut by PROBE.
  for (let i = offset === 0 ? 0 : 1; i < lines.length - 1; i++) {
    try {
      const time = lineTime(JSON.parse(lines[i]));
      if (time !== undefined) return time;
    } catch {
      // not JSON: try the next line
    }
  }
  return undefined;
}

/**
 * A byte offset in a plain (not gzip) log file before which every line is
 * older than `ms`, found by bisection on the lines' times: the log of one
 * process is written in time order. Undefined when the file cannot be
 * seeked (gzip) or has no times; 0 when nothing can be skipped.
 */
export async function offsetBefore(path: string, ms: number): Promise<number | undefined> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    if (isGzip(head)) return undefined;
    let lo = 0;
    let hi = size;
    while (hi - lo > PROBE) {
      const mid = Math.floor((lo + hi) / 2);
      const time = await timeAfter(handle, mid);
      if (time === undefined || time >= ms) hi = mid;
      else lo = mid;
    }
    return lo;
  } finally {
    await handle.close();
  }
}
