import { availableParallelism } from 'node:os';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { lineTime, toLogEvent } from './log-event.js';
import { scanRange, type RangeScan } from './needle-scan.js';

/**
 * Below this size a file is searched by the main thread alone: a worker takes
 * ~60 ms to start. AGENT_LOG_PARALLEL_MIN_BYTES changes it (the tests make
 * small files take the parallel path).
 */
export const PARALLEL_MIN_BYTES = Number(process.env.AGENT_LOG_PARALLEL_MIN_BYTES) || 192 << 20;
/** What the main thread searches while a worker starts (~60 ms at ~2.5 GB/s), on top of its share; an eighth of smaller files. */
const HEAD_START_BYTES = 128 << 20;
/** How long after the last run_finished a boundary rescan reads on: steps may end after their run. */
const RESCAN_SLACK_MS = 10_000;

export interface ParallelScan {
  /** How many threads searched (the main one included). */
  threads: number;
  /** The lines holding a needle, in file order. */
  lines: string[];
  cut?: string;
  too_long: number;
  overflow: boolean;
}

/** The start of the first line at or after `offset`. */
function lineStartAfter(path: string, offset: number, size: number): number {
  const fd = openSync(path, 'r');
  try {
    const probe = Buffer.allocUnsafe(64 * 1024);
    for (let at = offset - 1; at < size; at += probe.length) {
      const read = readSync(fd, probe, 0, probe.length, at);
      const nl = probe.subarray(0, read).indexOf(0x0a);
      if (nl !== -1) return at + nl + 1;
      if (read === 0) break;
    }
    return size;
  } finally {
    closeSync(fd);
  }
}

function inWorker(request: { path: string; start: number; end: number; needles: string[]; grow: boolean }): Promise<RangeScan> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'scan.worker.js'), { workerData: request, stdout: false, stderr: false });
    worker.once('message', (scan: RangeScan) => {
      resolve(scan);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/**
 * Searches a big plain file for the needles on every core: the main thread
 * takes the first range (a little more, while the workers start), a worker
 * each of the others. A range is searched with the needles it was given
 * plus those it learns itself, so a run that started in an earlier range and
 * goes on in a later one (a nested run straddling the boundary) would be
 * missed there: each later range is searched again from its start for the
 * run ids the earlier ranges learnt, until those runs have finished.
 */
export async function scanInParallel(path: string, size: number, needles: readonly string[], grow: boolean): Promise<ParallelScan> {
  const threads = Math.max(2, Math.min(4, availableParallelism()));
  const head = Math.min(HEAD_START_BYTES, size / 8);
  const share = (size - head) / threads;
  const cuts = [0, ...Array.from({ length: threads - 1 }, (_, i) => lineStartAfter(path, Math.floor(head + share * (i + 1)), size)), size];
  const ranges = cuts.slice(0, -1).map((start, i) => ({ path, start, end: cuts[i + 1], needles: [...needles], grow })).filter((r) => r.end > r.start);
  const pending = ranges.slice(1).map(inWorker);
  const scans = [scanRange(ranges[0]), ...(await Promise.all(pending))];

  let learnt = new Set(scans[0].needles);
  const merged: { offsets: number[]; lines: string[] }[] = [scans[0]];
  for (let k = 1; k < scans.length; k++) {
    const own = new Set(scans[k].needles);
    const missing = [...learnt].filter((n) => !own.has(n));
    let extra: RangeScan | undefined;
    if (grow && missing.length > 0) extra = rescan(ranges[k], missing);
    merged.push(mergeByOffset(scans[k], extra));
    learnt = new Set([...learnt, ...own, ...(extra?.needles ?? [])]);
  }
  return {
    threads: scans.length,
    lines: merged.flatMap((m) => m.lines),
    cut: scans[scans.length - 1].cut,
    too_long: scans.reduce((n, s) => n + s.too_long, 0),
    overflow: scans.some((s) => s.overflow),
  };
}

/** A later range searched for runs an earlier one learnt, only until they (and the runs they started) have finished. */
function rescan(range: { path: string; start: number; end: number }, runIds: string[]): RangeScan {
  const open = new Set(runIds);
  let lastFinish = -Infinity;
  return scanRange({
    ...range,
    needles: runIds,
    grow: true,
    done: (lines, lastLine) => {
      for (const text of lines) {
        let event;
        try {
          event = toLogEvent(JSON.parse(text));
        } catch {
          continue;
        }
        if (!event) continue;
        if (event.event === 'run_started' && event.parent_run_id !== undefined && (open.has(event.parent_run_id) || runIds.includes(event.parent_run_id))) {
          open.add(event.run_id);
        }
        if (event.event === 'run_finished' && open.delete(event.run_id)) lastFinish = Math.max(lastFinish, event.time);
      }
      if (open.size > 0) return false;
      let time: number | undefined;
      try {
        time = lineTime(JSON.parse(lastLine));
      } catch {
        time = undefined;
      }
      return time !== undefined && time > lastFinish + RESCAN_SLACK_MS;
    },
  });
}

function mergeByOffset(a: RangeScan, b: RangeScan | undefined): { offsets: number[]; lines: string[] } {
  if (!b || b.lines.length === 0) return a;
  const byOffset = new Map<number, string>();
  a.offsets.forEach((o, i) => byOffset.set(o, a.lines[i]));
  b.offsets.forEach((o, i) => byOffset.set(o, b.lines[i]));
  const offsets = [...byOffset.keys()].sort((x, y) => x - y);
  return { offsets, lines: offsets.map((o) => byOffset.get(o)!) };
}
