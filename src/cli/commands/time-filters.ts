import { CliError } from '../cli-error.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250` (ms), `250ms`, `1.5s`, `2m`, `3h`, `1d`, in milliseconds; a clear error naming the option otherwise. */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?$/.exec(text.trim());
  if (!m) throw new CliError(`${option}: expected a duration such as 500ms, 2s, 15m, 1h or 1d (got ${JSON.stringify(text)})`);
  return Number(m[1]) * UNITS[m[2] ?? 'ms'];
}

/** An ISO date or time (`2026-11-26`, `2026-11-26T07:00Z`), or a duration back from now (`15m`, `2h`). */
export function parseInstant(text: string, option: string, now = Date.now()): number {
  if (/^\d+(?:\.\d+)?\s*(ms|s|m|min|h|d)$/.test(text.trim())) return now - parseDuration(text, option);
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) {
    throw new CliError(`${option}: expected an ISO date or time (2026-11-26T07:00:00Z) or a duration back from now (15m, 2h, 1d) (got ${JSON.stringify(text)})`);
  }
  return ms;
}
