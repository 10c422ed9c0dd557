import type { AgentEventName } from '../../core/events/agent-event.js';
import { CliError } from '../cli-error.js';
import { plainFileSize, type InputSource } from './input-sources.js';
import { lineTime, toLogEvent, type LogEvent } from './log-event.js';
import { MAX_LINE_BYTES } from './needle-scan.js';
import { PARALLEL_MIN_BYTES, scanInParallel } from './parallel-scan.js';

/** What reading found besides the events: shown on stderr and under `input` in `--json`. */
export interface ReadReport {
  sources: string[];
  bytes: number;
  /** Lines looked at: every line, or with a needle filter only the lines holding one. */
  lines: number;
  events: number;
  /** The app's other log lines, pino-pretty noise, other schemas: skipped. */
  not_events: number;
  /** A last line cut mid-write (the process died), or a gzip stream cut short. */
  truncated: number;
  /** Lines longer than MAX_LINE_BYTES, skipped without being held in memory. */
  too_long: number;
  /** Set when a big file was searched on several threads: how many. */
  threads?: number;
}

/**
 * The strings a filtered read looks for. It may grow while reading (`show`
 * adds a child run's id when it meets the child's run_started), and the rest
 * of the current block is searched again for the new ones.
 */
export class NeedleSet {
  readonly list: Buffer[] = [];
  private readonly seen = new Set<string>();

  /**
   * @param grow whether a search on other threads (parallel-scan.ts), which
   * cannot ask the caller, learns the run id of each matching run_started
   * line as a needle of its own. Off when the needles are on every line
   * wanted anyway (a trace id).
   */
  constructor(
    needles: Iterable<string> = [],
    public grow = true,
  ) {
    for (const needle of needles) this.add(needle);
  }

  get strings(): string[] {
    return [...this.seen];
  }

  add(needle: string): void {
    if (needle.length === 0 || this.seen.has(needle)) return;
    this.seen.add(needle);
    this.list.push(Buffer.from(needle, 'utf8'));
  }

  get size(): number {
    return this.list.length;
  }
}

const NL = 0x0a;

export function emptyReport(sources: readonly InputSource[]): ReadReport {
  return { sources: sources.map((s) => s.name), bytes: 0, lines: 0, events: 0, not_events: 0, truncated: 0, too_long: 0 };
}

/**
 * Streams every source line by line and calls `visit` for each event. Memory
 * is one chunk plus one partial line, whatever the file's size. With
 * `needles`, only lines holding one of them are decoded and parsed: the search
 * runs over raw bytes (Buffer#indexOf), which is what lets `show` keep up with
 * grep.
 */
export async function readEvents(
  sources: readonly InputSource[],
  visit: (event: LogEvent) => void,
  options: ReadOptions = {},
): Promise<ReadReport> {
  const report = options.report ?? emptyReport(sources);
  for (const source of sources) await readSource(source, visit, options, report);
  return report;
}

export interface ReadOptions {
  needles?: NeedleSet;
  report?: ReadReport;
  /** Start at this byte offset of each file (the partial line there is skipped). */
  start?: number;
  /**
   * Events the caller does not need: a line that plainly names one
   * (`"event":"tool_call"`, as pino writes it) is counted but not parsed.
   */
  ignore?: readonly AgentEventName[];
  /** Called with each parsed JSON line that is not an event (the app's own log lines). */
  other?: (parsed: unknown) => void;
  /** Asked after each block with the time of its last line: true ends the read of this source. */
  stop?: (lastLineTime: number | undefined) => boolean;
}

async function readSource(source: InputSource, visit: (e: LogEvent) => void, options: ReadOptions, report: ReadReport) {
  const { needles, stop, start = 0 } = options;
  const skip = (isEvent: boolean) => {
    report.lines++;
    if (isEvent) report.events++;
    else report.not_events++;
  };
  const ignored = new Set<string>(options.ignore ?? []);
  const line = (text: string, last: boolean) => {
    report.lines++;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      if (last) report.truncated++;
      else report.not_events++;
      return;
    }
    const event = toLogEvent(parsed);
    if (!event) {
      report.not_events++;
      options.other?.(parsed);
      return;
    }
    report.events++;
    visit(event);
  };
  if (needles && source.path !== undefined && start === 0 && !stop) {
    const size = plainFileSize(source.path);
    if (size !== undefined && size >= PARALLEL_MIN_BYTES) {
      // A worker that cannot start (a sandbox without threads) leaves the read to this thread alone.
      const scan = await scanInParallel(source.path, size, needles.strings, needles.grow).catch(() => undefined);
      if (scan && !scan.overflow) {
        report.bytes += size;
        report.too_long += scan.too_long;
        report.threads = Math.max(report.threads ?? 0, scan.threads);
        for (const text of scan.lines) line(text, false);
        if (scan.cut !== undefined) line(scan.cut, true);
        return;
      }
    }
  }
  const block = needles ? (b: Buffer) => filteredBlock(b, needles, line) : (b: Buffer) => fullBlock(b, line, skip, ignored);

  let carry: Buffer | undefined;
  let skipToNewline = start > 0; // mid-file: the first partial line is not ours
  try {
    for await (const raw of source.open(start)) {
      let chunk = raw;
      report.bytes += chunk.length;
      if (skipToNewline) {
        const nl = chunk.indexOf(NL);
        if (nl === -1) continue;
        skipToNewline = false;
        chunk = chunk.subarray(nl + 1);
      }
      const nl = chunk.lastIndexOf(NL);
      if (nl === -1) {
        carry = carry ? Buffer.concat([carry, chunk]) : chunk;
        if (carry.length > MAX_LINE_BYTES) {
          report.too_long++;
          carry = undefined;
          skipToNewline = true;
        }
        continue;
      }
      let from = 0;
      if (carry) {
        // Only the line cut by the previous chunk is copied, never the whole chunk.
        from = chunk.indexOf(NL) + 1;
        if (carry.length + from > MAX_LINE_BYTES) report.too_long++;
        else block(Buffer.concat([carry, chunk.subarray(0, from)]));
      }
      const complete = chunk.subarray(from, nl + 1);
      if (complete.length > 0) block(complete);
      carry = nl + 1 < chunk.length ? chunk.subarray(nl + 1) : undefined;
      if (stop && stop(lastLineTime(chunk.subarray(0, nl + 1)))) return;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    // A gzip stream cut short (the process died while compressing) or corrupt: keep what was read.
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') {
      report.truncated++;
      return;
    }
    if ((err as NodeJS.ErrnoException).syscall) throw new CliError(`cannot read ${source.name}: ${code || (err as Error).message}`);
    throw err;
  }
  if (carry && !skipToNewline) {
    const text = carry.toString('utf8').trim();
    if (text.length > 0 && (!needles || needles.list.some((n) => carry!.includes(n)))) line(text, true);
    else if (text.length > 0 && !isJson(text)) report.truncated++;
  }
}

function lastLineTime(block: Buffer): number | undefined {
  const from = block.lastIndexOf(NL, block.length - 2) + 1;
  try {
    return lineTime(JSON.parse(block.toString('utf8', from, block.length)));
  } catch {
    return undefined;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Every line of a block that ends with a newline. Lines without `"event` cannot be events: not parsed. */
const EVENT_KEY = '"event';
const EVENT_VALUE = '"event":"';

function fullBlock(block: Buffer, line: (text: string, last: boolean) => void, skip: (isEvent: boolean) => void, ignored: Set<string>) {
  const text = block.toString('utf8');
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    const one = text.slice(start, end).trim();
    start = end + 1;
    if (one.length === 0) continue;
    const at = one.indexOf(EVENT_KEY);
    if (at === -1) skip(false);
    else if (ignored.size > 0 && one.startsWith(EVENT_VALUE, at) && ignored.has(one.slice(at + 9, one.indexOf('"', at + 9)))) skip(true);
    else line(one, false);
  }
}

/** Only the lines holding a needle, in file order; re-searched when the needle set grows mid-block. */
function filteredBlock(block: Buffer, needles: NeedleSet, line: (text: string, last: boolean) => void) {
  let from = 0;
  while (from < block.length) {
    const size = needles.size;
    const starts = new Set<number>();
    for (const needle of needles.list) {
      let hit = block.indexOf(needle, from);
      while (hit !== -1) {
        starts.add(block.lastIndexOf(NL, hit) + 1);
        hit = block.indexOf(needle, block.indexOf(NL, hit) + 1);
      }
    }
    let grew = false;
    for (const start of [...starts].sort((a, b) => a - b)) {
      const end = block.indexOf(NL, start);
      line(block.toString('utf8', start, end).trim(), false);
      if (needles.size !== size) {
        from = end + 1;
        grew = true;
        break;
      }
    }
    if (!grew) return;
  }
}
