import { closeSync, openSync, readSync } from 'node:fs';

/** Read size: a chunk this big stays in the CPU's cache while it is searched (bigger ones were slower). */
export const CHUNK = 1 << 20;
/** Longer lines are skipped and counted, never held. */
export const MAX_LINE_BYTES = 8 << 20;
/** Past this many needles a scan stops growing its set and says so: the caller reads the slow way instead. */
export const MAX_GROWN_NEEDLES = 256;
const NL = 0x0a;

/** What a scan of one byte range hands back: the lines that hold a needle, with their offsets in the file. */
export interface RangeScan {
  /** Absolute byte offset of each line's start, and the line. */
  offsets: number[];
  lines: string[];
  /** A last line of the file without its newline (cut mid-write), when it holds a needle. */
  cut?: string;
  /** Every needle the scan ended with: the ones it was given and the run ids it learnt. */
  needles: string[];
  /** More needles than MAX_GROWN_NEEDLES were learnt: the result is incomplete. */
  overflow: boolean;
  too_long: number;
}

export interface RangeRequest {
  path: string;
  /** Byte offsets; `start` is a line start, `end` one past a newline (or the file's end). */
  start: number;
  end: number;
  needles: readonly string[];
  /**
   * Learn needles while scanning: a matching `run_started` line adds its run
   * id, so the run's later lines (which hold only its own id) are found, and
   * so are a nested run's (its run_started names its parent).
   */
  grow: boolean;
  /** Asked after each chunk with the new lines found and the chunk's last line: true ends the scan. */
  done?: (newLines: readonly string[], lastLine: string) => boolean;
}

const RUN_STARTED = Buffer.from('"run_started"');

/** The run id a matching run_started line names as its own; undefined for any other line. */
function startedRunId(line: string): string | undefined {
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    const attributes = record.attributes as Record<string, unknown> | undefined;
    const get = (key: string) => record[key] ?? (typeof attributes === 'object' && attributes !== null ? attributes[key] : undefined);
    const event = get('event') ?? get('event.name');
    const runId = get('run_id');
    return event === 'run_started' && typeof runId === 'string' && runId.length > 0 ? runId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The lines of a file range that hold one of the needles, found by a byte
 * search (Buffer#indexOf) without decoding or parsing anything else: the
 * part of a lookup that must keep up with grep. Synchronous, for a worker
 * thread or the main thread alike.
 */
export function scanRange(request: RangeRequest): RangeScan {
  const { path, start, end, grow, done } = request;
  const needles = [...request.needles];
  const buffers = needles.map((n) => Buffer.from(n, 'utf8'));
  const known = new Set(needles);
  const found: RangeScan = { offsets: [], lines: [], needles, overflow: false, too_long: 0 };
  const learn = (line: string) => {
    const runId = startedRunId(line);
    if (runId === undefined || known.has(runId) || needles.some((n) => runId.startsWith(n))) return false;
    if (needles.length - request.needles.length >= MAX_GROWN_NEEDLES) {
      found.overflow = true;
      return false;
    }
    known.add(runId);
    needles.push(runId);
    buffers.push(Buffer.from(runId, 'utf8'));
    return true;
  };

  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK);
    let carry: Buffer | undefined;
    let skipping = false; // inside a line longer than MAX_LINE_BYTES
    for (let position = start; position < end; ) {
      const read = readSync(fd, chunk, 0, Math.min(CHUNK, end - position), position);
      if (read === 0) break;
      const base = position - (carry?.length ?? 0);
      position += read;
      let block = chunk.subarray(0, read);
      const last = block.lastIndexOf(NL);
      if (last === -1) {
        if (!skipping) carry = carry ? Buffer.concat([carry, block]) : Buffer.from(block);
        if (carry && carry.length > MAX_LINE_BYTES) {
          found.too_long++;
          carry = undefined;
          skipping = true;
        }
        continue;
      }
      let blockBase = base;
      if (skipping) {
        // The rest of the long line, up to its newline, is dropped.
        const nl = block.indexOf(NL);
        blockBase = position - read + nl + 1;
        block = block.subarray(nl + 1);
        skipping = false;
      } else if (carry) {
        const nl = block.indexOf(NL);
        if (carry.length + nl > MAX_LINE_BYTES) found.too_long++;
        else searchBlock(Buffer.concat([carry, block.subarray(0, nl + 1)]), base, buffers, found, grow ? learn : undefined);
        blockBase = position - read + nl + 1;
        block = block.subarray(nl + 1);
      }
      const whole = block.subarray(0, block.lastIndexOf(NL) + 1);
      const before = found.lines.length;
      searchBlock(whole, blockBase, buffers, found, grow ? learn : undefined);
      const rest = block.subarray(whole.length);
      carry = rest.length > 0 ? Buffer.from(rest) : undefined;
      if (done && whole.length > 0) {
        const lastStart = whole.lastIndexOf(NL, whole.length - 2) + 1;
        if (done(found.lines.slice(before), whole.toString('utf8', lastStart, whole.length - 1))) return found;
      }
    }
    if (carry && !skipping && buffers.some((n) => carry!.includes(n))) found.cut = carry.toString('utf8').trim();
    return found;
  } finally {
    closeSync(fd);
  }
}

/**
 * The lines of a block (whole lines, each ending with a newline) that hold a
 * needle, in order. A needle learnt from a line is looked for in the rest of
 * the block too.
 */
function searchBlock(block: Buffer, base: number, buffers: Buffer[], found: RangeScan, learn: ((line: string) => boolean) | undefined) {
  let from = 0;
  while (from < block.length) {
    const starts = new Set<number>();
    for (const needle of buffers) {
      for (let hit = block.indexOf(needle, from); hit !== -1; hit = block.indexOf(needle, block.indexOf(NL, hit) + 1)) {
        starts.add(block.lastIndexOf(NL, hit) + 1);
      }
    }
    let grew = false;
    for (const lineStart of [...starts].sort((a, b) => a - b)) {
      const lineEnd = block.indexOf(NL, lineStart);
      const line = block.toString('utf8', lineStart, lineEnd).trim();
      found.offsets.push(base + lineStart);
      found.lines.push(line);
      const started = learn ? block.indexOf(RUN_STARTED, lineStart) : -1;
      if (started !== -1 && started < lineEnd && learn!(line)) {
        from = lineEnd + 1;
        grew = true;
        break;
      }
    }
    if (!grew) return;
  }
}
