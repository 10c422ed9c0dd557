import { needsJsonEscape } from '../json-escape.js';
import type { EventLevel } from './event-sink.js';
import { pinoSymbolsOf, PUBLIC_SYMBOLS, read, type PinoSymbols } from './pino-internals.js';

/** Marks `agentLogMixin`, whichever copy of this package it comes from (see line-format's mixin rule). */
export const AGENT_LOG_MIXIN = Symbol.for('nestjs-agent-logging/agentLogMixin');

type Fn = (...args: never[]) => unknown;
const isFn = (v: unknown): v is Fn => typeof v === 'function';

/** The part of a pino destination the line writer uses. */
export interface LineStream {
  write(chunk: string): unknown;
  [key: symbol]: unknown;
}

/**
 * What a pino logger's configuration fixes about the JSON line it writes for
 * an object logged with no message, read once per logger. pino 9 and 10 build
 * that line the same way (lib/proto.js `write`, lib/tools.js `_asJson`):
 *
 *   lsCache[level] + time() + chindings + (`,"key":value` per own field) + end
 *
 * with the fields nested under `nestedKey` when one is set. Everything else a
 * configuration can do to a line (a `formatters.log`, a `logMethod` hook, a
 * mixin other than ours, a wildcard redaction) is a reason to leave the line
 * to pino; serializers and redaction paths are checked key by key.
 */
export interface LineFormat {
  readonly symbols: PinoSymbols;
  readonly stream: LineStream;
  readonly end: string;
  /** `,"nestedKey":{` or '' */
  readonly nestedKeyStr: string;
  readonly timeSliceIndex: number;
  readonly streamWrite: ((s: string) => string) | undefined;
  /** The destination takes several lines in one write with the same effect (sonic-boom, a transport's thread-stream). */
  readonly batches: boolean;
  /** `{"level":30` and the like, per event level; undefined when the logger has no such level. */
  readonly levels: Readonly<Record<EventLevel, { num: number; prefix: string } | undefined>>;
  /** `,"key":` for a key pino writes as is; null for a key a serializer, a redaction path or errorKey touches. */
  keyPrefix(key: string): string | null;
}

/** pino versions whose write path was read and is covered by the differential test. */
const VERIFIED_VERSION = /^(9|10)\.\d+\.\d+$/;

const formats = new WeakMap<object, LineFormat | string>();

/**
 * The line format of `logger`, or the reason its lines are left to pino.
 * Computed once per logger: everything read here is fixed when pino builds a
 * logger (a later `logger.level = ...` changes which levels write, which the
 * writer checks per line).
 */
export function lineFormatOf(logger: object): LineFormat | string {
  let format = formats.get(logger);
  if (format === undefined) {
    try {
      format = compile(logger);
    } catch {
      format = 'configuration could not be read';
    }
    formats.set(logger, format);
  }
  return format;
}

/**
 * Whether a destination takes two lines in one `write` with the same bytes
 * and the same routing. Only the destinations pino itself makes are known to:
 * an application's own Writable may expect one line per chunk.
 */
function batches(stream: LineStream): boolean {
  const name = (stream.constructor as { name?: unknown } | undefined)?.name;
  if (name === 'SonicBoom') {
    // maxLength drops a whole write that would pass it: two lines together could be dropped where one would not.
    return !(stream as { maxLength?: number }).maxLength && stream[PUBLIC_SYMBOLS.metadata] !== true;
  }
  return name === 'ThreadStream' && stream[PUBLIC_SYMBOLS.metadata] !== true;
}

function compile(logger: object): LineFormat | string {
  const version = (logger as { version?: unknown }).version;
  if (typeof version !== 'string' || !VERIFIED_VERSION.test(version)) return `pino ${String(version)} is not a verified version`;
  const symbols = pinoSymbolsOf(logger);
  if (!symbols) return 'not a pino logger';
  const at = (s: symbol) => read(logger, s);

  // Our write replaces pino's `write` and `_asJson`: they must be pino's own.
  const write = at(symbols.write);
  const asJson = at(symbols.asJson);
  if (!isFn(write) || write.name !== 'write' || !isFn(asJson) || asJson.name !== 'asJson') return 'write path replaced';
  const hooks = at(PUBLIC_SYMBOLS.hooks) as { logMethod?: unknown; streamWrite?: unknown } | undefined;
  if (hooks?.logMethod) return 'hooks.logMethod';
  const streamWrite = hooks?.streamWrite;
  if (streamWrite !== undefined && !isFn(streamWrite)) return 'hooks.streamWrite';
  const formatters = at(PUBLIC_SYMBOLS.formatters) as { log?: unknown } | undefined;
  if (formatters?.log) return 'formatters.log';

  // agentLogMixin returns {} for our own lines, and pino's default merge then
  // copies the event as it is: the line is the one without a mixin.
  const mixin = at(symbols.mixin);
  if (mixin) {
    if (!isFn(mixin) || (mixin as unknown as Record<symbol, unknown>)[AGENT_LOG_MIXIN] !== true) return 'a mixin other than agentLogMixin';
    if (at(symbols.mixinMergeStrategy)) return 'mixinMergeStrategy';
  }

  const stringifiers = at(symbols.stringifiers) as Record<string, unknown> | undefined;
  if (typeof stringifiers !== 'object' || stringifiers === null) return 'no stringifiers';
  // A redaction path starting with `*` applies to every key.
  if (Object.getOwnPropertySymbols(stringifiers).some((s) => s.description === 'pino.wildcardFirst')) return 'wildcard redaction';
  const serializers = at(PUBLIC_SYMBOLS.serializers) as Record<string, unknown> | undefined;
  if (typeof serializers !== 'object' || serializers === null) return 'no serializers';
  const errorKey = at(symbols.errorKey);

  const stream = at(symbols.stream) as LineStream | undefined;
  if (typeof stream !== 'object' || stream === null || !isFn(stream.write)) return 'no destination';
  const end = at(symbols.end);
  const nestedKeyStr = at(symbols.nestedKeyStr);
  const timeSliceIndex = at(symbols.timeSliceIndex);
  if (typeof end !== 'string' || typeof nestedKeyStr !== 'string' || typeof timeSliceIndex !== 'number') return 'unknown layout';
  if (!isFn(at(symbols.time))) return 'no time function';

  const lsCache = at(symbols.lsCache) as Record<number, unknown> | undefined;
  const values = (logger as { levels?: { values?: Record<string, unknown> } }).levels?.values;
  const level = (label: EventLevel) => {
    const num = values?.[label];
    const prefix = typeof num === 'number' ? lsCache?.[num] : undefined;
    return typeof num === 'number' && typeof prefix === 'string' ? { num, prefix } : undefined;
  };

  const prefixes = new Map<string, string | null>();
  return {
    symbols,
    stream,
    end,
    nestedKeyStr,
    timeSliceIndex,
    streamWrite: streamWrite as ((s: string) => string) | undefined,
    batches: batches(stream),
    levels: { info: level('info'), warn: level('warn'), error: level('error') },
    keyPrefix(key) {
      let prefix = prefixes.get(key);
      if (prefix === undefined) {
        // The same lookups as pino's, on the same objects (pino 9's have a prototype: 'constructor' finds a function there too).
        const touched = key === errorKey || Boolean(serializers[key]) || Boolean(stringifiers[key]);
        const json = touched ? undefined : jsonString(key);
        prefix = json === undefined ? null : `,${json}:`;
        prefixes.set(key, prefix);
      }
      return prefix;
    },
  };
}

/**
 * A string as JSON, when every version of pino writes it the same: pino
 * escapes with its own loop below Node 25 and with JSON.stringify from 25,
 * and the two differ only on lone surrogates (written raw by the loop,
 * escaped by JSON.stringify). Undefined for those: the line is left to pino.
 */
export function jsonString(s: string): string | undefined {
  return needsJsonEscape(s) ? escaped(s) : `"${s}"`;
}

function escaped(s: string): string | undefined {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return undefined;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return undefined;
  }
  return JSON.stringify(s);
}
