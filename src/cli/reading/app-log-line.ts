import { createScrubber, SCRUB_LOOKAHEAD } from '../../core/redaction/scrubber.js';
import { lineTime } from './log-event.js';

/**
 * One of the app's own log lines written inside a run (nestjs-pino with
 * agentLogMixin adds `run_id`). Only what helps reading the run is kept —
 * never `req`, headers or other bindings, which may hold personal data.
 */
export interface AppLogLine {
  run_id: string;
  time: number;
  level: string;
  context?: string;
  msg: string;
}

/**
 * The app's own lines of a run tree as an output shows them: `lines` only
 * when `--app-logs` asked for them, else just how many there are.
 */
export interface AppLogs {
  count: number;
  lines?: readonly AppLogLine[];
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const MAX_MSG = 500;
const MAX_CONTEXT = 128;

/**
 * The app line a parsed JSON line is, when it carries a run_id and a message.
 * Its msg and context are as written (cut, with room for the scrubber to see
 * a secret at the cut whole): pass it through scrubAppLogLine before showing it.
 */
export function toAppLogLine(parsed: unknown): AppLogLine | undefined {
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const record = parsed as Record<string, unknown>;
  const time = lineTime(record);
  if (typeof record.run_id !== 'string' || typeof record.msg !== 'string' || time === undefined) return undefined;
  const level = typeof record.level === 'number' ? (LEVELS[record.level] ?? String(record.level)) : typeof record.level === 'string' ? record.level : 'info';
  return {
    run_id: record.run_id,
    time,
    level: level.slice(0, 16),
    context: typeof record.context === 'string' ? record.context.slice(0, MAX_CONTEXT + SCRUB_LOOKAHEAD) : undefined,
    msg: record.msg.slice(0, MAX_MSG + SCRUB_LOOKAHEAD),
  };
}

// The library's scrubber with its default patterns: the app wrote these lines itself, through no scrubber
// (Nest's Logger.log(message, context) takes any string as context, so it is scrubbed too).
const scrubMsg = createScrubber({ maxLength: MAX_MSG });
const scrubContext = createScrubber({ maxLength: MAX_CONTEXT });

/** The line fit to show: secrets and personal data in msg and context replaced (`[email]`, `[card]`, `[api_key]` ...). */
export function scrubAppLogLine(line: AppLogLine): AppLogLine {
  return { ...line, msg: scrubMsg(line.msg) ?? '', context: line.context === undefined ? undefined : scrubContext(line.context) };
}

/** The one line said instead of the app's lines when `--app-logs` was not given; undefined when there are none. */
export function appLogsHint(count: number, command: 'show' | 'html'): string | undefined {
  if (count === 0) return undefined;
  const lines = `${count} app log line${count === 1 ? '' : 's'}`;
  return `${lines} in this run not shown (the app's own messages may hold personal data): agent-log ${command} --app-logs shows them, scrubbed`;
}

/** "3", or "the first 200 of 950" when the run had more lines than are kept. */
export function appLogsShownCount(count: number, shown: number): string {
  return count > shown ? `the first ${shown} of ${count}` : `${count}`;
}
