import type { InputSource } from './input-sources';
import { toLogEvent, type LogEvent } from './log-event';

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
}

/**
 * The strings a filtered read looks for. It may grow while reading (`show`
 * adds a child run's id when it meets the child's run_started), and the rest
 * of the current block is searched again for the new ones.
 */
export class NeedleSet {
  readonly list: Buffer[] = [];
  private readonly seen = new Set<string>();

  constructor(needles: Iterable<string> = []) {
    for (const needle of needles) this.add(needle);
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

export const MAX_LINE_BYTES = 8 << 20;
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
  options: { needles?: NeedleSet; report?: ReadReport } = {},
): Promise<ReadReport> {
  const report = options.report ?? emptyReport(sources);
  for (const source of sources) await readSource(source, visit, options.needles, report);
  return report;
}

async function readSource(source: InputSource, visit: (e: LogEvent) => void, needles: NeedleSet | undefined, report: ReadReport) {
  const skip = () => {
    report.lines++;
    report.not_events++;
  };
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
      return;
    }
    report.events++;
    visit(event);
  };
  const block = needles ? (b: Buffer) => filteredBlock(b, needles, line) : (b: Buffer) => fullBlock(b, line, skip);

  let carry: Buffer | undefined;
  let skippingLongLine = false;
  try {
    for await (const raw of source.open()) {
      let chunk = raw;
      report.bytes += chunk.length;
      if (skippingLongLine) {
        const nl = chunk.indexOf(NL);
        if (nl === -1) continue;
        skippingLongLine = false;
        chunk = chunk.subarray(nl + 1);
      }
      const nl = chunk.lastIndexOf(NL);
      if (nl === -1) {
        carry = carry ? Buffer.concat([carry, chunk]) : chunk;
        if (carry.length > MAX_LINE_BYTES) {
          report.too_long++;
          carry = undefined;
          skippingLongLine = true;
        }
        continue;
      }
      block(carry ? Buffer.concat([carry, chunk.subarray(0, nl + 1)]) : chunk.subarray(0, nl + 1));
      carry = nl + 1 < chunk.length ? chunk.subarray(nl + 1) : undefined;
    }
  } catch {
    // A gzip stream cut short (the process died while compressing): keep what was read.
    report.truncated++;
    return;
  }
  if (carry && !skippingLongLine) {
    const text = carry.toString('utf8').trim();
    if (text.length > 0 && (!needles || needles.list.some((n) => carry!.includes(n)))) line(text, true);
    else if (text.length > 0 && !isJson(text)) report.truncated++;
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
function fullBlock(block: Buffer, line: (text: string, last: boolean) => void, skip: () => void) {
  const text = block.toString('utf8');
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    const one = text.slice(start, end).trim();
    start = end + 1;
    if (one.length === 0) continue;
    if (one.includes('"event')) line(one, false);
    else skip();
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
