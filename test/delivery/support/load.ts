import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { LogLine } from '../../support/log-capture';

/** The part of autocannon's options and result the load test uses (the package ships no types). */
export interface LoadOptions {
  url: string;
  connections: number;
  /** Send exactly this many requests, so the counts can be matched. */
  amount: number;
  /** Seconds before a request counts as timed out. */
  timeout: number;
  requests: { method: 'POST'; path: string; headers: Record<string, string>; body: string }[];
}
export interface LoadResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  requests: { total: number; average: number };
  latency: { p50: number; p99: number };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: LoadOptions) => Promise<LoadResult>;

export const fire = (options: LoadOptions): Promise<LoadResult> => autocannon(options);

let collect: (() => void) | undefined;

/** The heap after full garbage collections, in bytes (`--expose-gc` turned on at run time). */
export function settledHeap(): number {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  for (let i = 0; i < 3; i++) collect();
  return process.memoryUsage().heapUsed;
}

/** How many timers and immediates the process holds. */
export function pendingTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
}

export function readEvents(file: string): LogLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => l.schema === 'agent-log/1');
}
