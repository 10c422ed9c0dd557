import { lineTime } from './log-event';

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

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const MAX_MSG = 500;

/** The app log line a parsed JSON line is, when it carries a run_id and a message. */
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
    context: typeof record.context === 'string' ? record.context.slice(0, 128) : undefined,
    msg: record.msg.slice(0, MAX_MSG),
  };
}
