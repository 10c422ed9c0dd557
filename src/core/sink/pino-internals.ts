/**
 * The private state of a pino logger, read with the symbols of the very copy
 * of pino that made it. pino keeps most of its state under `Symbol('pino.…')`
 * keys, a fresh symbol per copy: the application's logger may come from
 * another copy than the one this package resolves (pino-http's own, an ESM
 * and a CommonJS install), so the symbols are found on the logger itself, by
 * their description, once per logger.
 */
export interface PinoSymbols {
  readonly stream: symbol;
  readonly chindings: symbol;
  readonly lsCache: symbol;
  readonly time: symbol;
  readonly timeSliceIndex: symbol;
  readonly end: symbol;
  readonly mixin: symbol;
  readonly mixinMergeStrategy: symbol;
  readonly stringifiers: symbol;
  readonly messageKey: symbol;
  readonly errorKey: symbol;
  readonly nestedKeyStr: symbol;
  readonly write: symbol;
  readonly asJson: symbol;
}

/** The public ones are registered symbols, the same in every copy. */
export const PUBLIC_SYMBOLS = {
  serializers: Symbol.for('pino.serializers'),
  formatters: Symbol.for('pino.formatters'),
  hooks: Symbol.for('pino.hooks'),
  metadata: Symbol.for('pino.metadata'),
} as const;

const WANTED: Record<keyof PinoSymbols, string> = {
  stream: 'pino.stream',
  chindings: 'pino.chindings',
  lsCache: 'pino.lsCache',
  time: 'pino.time',
  timeSliceIndex: 'pino.timeSliceIndex',
  end: 'pino.end',
  mixin: 'pino.mixin',
  mixinMergeStrategy: 'pino.mixinMergeStrategy',
  stringifiers: 'pino.stringifiers',
  messageKey: 'pino.messageKey',
  errorKey: 'pino.errorKey',
  nestedKeyStr: 'pino.nestedKeyStr',
  write: 'pino.write',
  asJson: 'pino.asJson',
};

const found = new WeakMap<object, PinoSymbols | null>();

/** Symbols of `logger`'s own pino copy, found on it and its prototypes; undefined if it is not a pino logger. */
export function pinoSymbolsOf(logger: object): PinoSymbols | undefined {
  const known = found.get(logger);
  if (known !== undefined) return known ?? undefined;
  let symbols: PinoSymbols | null = null;
  try {
    symbols = collect(logger);
  } catch {
    // a Proxy or an exotic object: not a logger we can read
  }
  found.set(logger, symbols);
  return symbols ?? undefined;
}

function collect(logger: object): PinoSymbols | null {
  const byDescription = new Map<string, symbol>();
  for (let o: object | null = logger; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const s of Object.getOwnPropertySymbols(o)) {
      if (s.description !== undefined && !byDescription.has(s.description)) byDescription.set(s.description, s);
    }
  }
  const out: Partial<Record<keyof PinoSymbols, symbol>> = {};
  for (const [name, description] of Object.entries(WANTED) as [keyof PinoSymbols, string][]) {
    const s = byDescription.get(description);
    if (s === undefined) return null;
    out[name] = s;
  }
  return out as PinoSymbols;
}

/** `logger[symbol]`, for state pino keeps under a symbol. */
export const read = (logger: object, symbol: symbol): unknown => (logger as Record<symbol, unknown>)[symbol];
