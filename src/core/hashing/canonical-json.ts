import { types } from 'node:util';
import { compareCodePoints } from './code-point-order.js';
import { pythonNumber } from './python-number.js';

/** Containers nested deeper than this are written as a marker, so the walk never threatens the stack. */
export const MAX_DEPTH = 256;

/** What takes the place of a value the walk cannot or will not follow. */
export const MARKERS = {
  circular: '"[Circular]"',
  unreadable: '"[Unreadable]"',
  tooDeep: '"[MaxDepth]"',
  tooManyKeys: '"[TooManyKeys]"',
} as const;

// BigInts beyond this many decimal digits cost quadratic time to print in decimal.
const BIGINT_DECIMAL_LIMIT = 10n ** 4096n;
// Strings without these need no escaping (surrogates go the slow way so lone ones get escaped).
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;
/** Below this length a loop over char codes beats the regular expression (keys, ids, short values). */
const SHORT = 64;

function needsEscape(s: string): boolean {
  if (s.length >= SHORT) return NEEDS_ESCAPE.test(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}
/** Ancestors this shallow are checked in an array, deeper ones in a Set. */
const SHALLOW = 32;
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * A Proxy's own enumerable string keys, or undefined past `room` keys met
 * (inherited ones count too, so the traps called stay within the budget).
 */
function keysOfProxy(o: object, room: number): string[] | undefined {
  const keys: string[] = [];
  let seen = 0;
  for (const key in o) {
    if (++seen > room) return undefined;
    if (hasOwn.call(o, key)) keys.push(key);
  }
  return keys;
}

/** Stands for a value whose getter, toJSON or Proxy trap threw. */
const THREW = Symbol('threw');

export interface CanonicalText {
  text: string;
  /** False when a limit (bytes, values visited, depth) stopped the walk: the text then covers a prefix. */
  complete: boolean;
}

// Plain objects and arrays, the usual arguments, skip the checks for exotic kinds (native calls, not free).
const isPlain = (o: object): boolean => {
  const proto = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null || proto === Array.prototype;
};

const omitted = (v: unknown): boolean => v === undefined || typeof v === 'function' || (typeof v === 'symbol' && v !== THREW);

function unboxed(v: object): unknown {
  if (!types.isBoxedPrimitive(v)) return v;
  if (types.isNumberObject(v)) return Number.prototype.valueOf.call(v);
  if (types.isStringObject(v)) return String.prototype.valueOf.call(v);
  if (types.isBooleanObject(v)) return Boolean.prototype.valueOf.call(v);
  if (types.isBigIntObject(v)) return BigInt.prototype.valueOf.call(v);
  return undefined; // a boxed Symbol, which JSON leaves out like a symbol
}

/**
 * Sorts keys by code point. Objects are small: insertion sort by UTF-16 unit
 * (cheaper than Array.prototype.sort's setup for a handful of keys), then the
 * rare fix-up by code point when some neighbours disagree.
 */
function sortByCodePoint(keys: string[]): void {
  if (keys.length > 16) keys.sort();
  else {
    for (let i = 1; i < keys.length; i++) {
      const key = keys[i];
      let j = i - 1;
      for (; j >= 0 && keys[j] > key; j--) keys[j + 1] = keys[j];
      keys[j + 1] = key;
    }
  }
  for (let i = 1; i < keys.length; i++) {
    if (compareCodePoints(keys[i - 1], keys[i]) > 0) {
      keys.sort(compareCodePoints);
      return;
    }
  }
}

function mapKey(k: unknown): string {
  switch (typeof k) {
    case 'string':
      return k;
    case 'number':
      return pythonNumber(k);
    case 'bigint':
      return k.toString();
    case 'boolean':
      return k ? 'true' : 'false';
    default:
      return k === null ? 'null' : `[${typeof k}]`;
  }
}

/**
 * Writes the canonical JSON text of a value (the README's "Privacy" section is
 * its specification): Python's `json.dumps(v, sort_keys=True,
 * ensure_ascii=False)` for plain JSON data, JSON.stringify's rules for what
 * JSON leaves out, stable encodings for the rest. It stops as soon as the text
 * passes `maxBytes` characters or `maxBytes` values have been visited, never
 * follows a cycle, never goes deeper than MAX_DEPTH, and turns anything that
 * throws into a marker. One writer is reused across calls (its state and its
 * cycle tracking are not rebuilt per call), so it is not re-entrant: a getter
 * that hashes while being hashed gets a fresh writer.
 */
export class CanonicalJsonWriter {
  private out = '';
  private limit = 0;
  private visits = 0;
  private stopped = false;
  private capped = false;
  private busy = false;
  /** The containers being written, to mark cycles: by depth while shallow, then in a Set. */
  private readonly path: (object | null)[] = [];
  private readonly deepPath = new Set<object>();

  constructor(private readonly maxBytes: number) {}

  write(value: unknown): CanonicalText {
    if (this.busy) return new CanonicalJsonWriter(this.maxBytes).write(value);
    this.busy = true;
    this.out = '';
    this.limit = this.maxBytes;
    this.visits = 0;
    this.stopped = false;
    this.capped = false;
    let done = false;
    try {
      this.visit();
      this.emit(this.resolve(value, ''), 0);
      done = true;
      return { text: this.out, complete: !this.stopped && !this.capped };
    } finally {
      this.out = '';
      // A finished walk has emptied its path; an interrupted one must not keep the caller's values alive.
      if (!done) this.path.fill(null);
      this.deepPath.clear();
      this.busy = false;
    }
  }

  /** Counts one value; false (and the walk stops) once the budget of values is spent. */
  private visit(): boolean {
    if (++this.visits > this.maxBytes) this.stopped = true;
    return !this.stopped;
  }

  private full(): boolean {
    if (this.out.length > this.limit) this.stopped = true;
    return this.stopped;
  }

  /** What JSON.stringify serialises in place of `v`: toJSON's result, a boxed primitive's value. */
  private resolve(v: unknown, key: string | number): unknown {
    if (typeof v !== 'object' || v === null) return v;
    try {
      const plain = isPlain(v);
      if (!plain && (ArrayBuffer.isView(v) || types.isAnyArrayBuffer(v))) return v; // bytes, not Buffer's toJSON
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON !== 'function') return plain ? v : unboxed(v);
      const r: unknown = toJSON.call(v, String(key));
      return typeof r === 'object' && r !== null ? unboxed(r) : r;
    } catch {
      return THREW;
    }
  }

  private read(o: object, key: string | number): unknown {
    try {
      return (o as Record<string | number, unknown>)[key];
    } catch {
      return THREW;
    }
  }

  private emit(v: unknown, depth: number): void {
    if (this.full()) return;
    switch (typeof v) {
      case 'string':
        this.string(v);
        return;
      case 'number':
        this.out += pythonNumber(v);
        break;
      case 'boolean':
        this.out += v ? 'true' : 'false';
        break;
      case 'bigint':
        this.bigint(v);
        break;
      case 'object':
        if (v === null) this.out += 'null';
        else this.container(v, depth);
        break;
      default: // undefined, function, symbol: null where JSON.stringify writes null
        this.out += v === THREW ? MARKERS.unreadable : 'null';
    }
    this.full();
  }

  /** A JSON string; a long one is cut before it is escaped, one character past what the budget can take. */
  private string(s: string): void {
    const room = this.limit - this.out.length;
    const text = s.length > room + 1 ? s.slice(0, room + 1) : s;
    this.out += needsEscape(text) ? JSON.stringify(text) : `"${text}"`;
    this.full();
  }

  private bigint(v: bigint): void {
    if (v < BIGINT_DECIMAL_LIMIT && v > -BIGINT_DECIMAL_LIMIT) {
      this.out += v.toString();
      return;
    }
    const hex = v.toString(16);
    this.capped = true;
    this.string(`[BigInt 0x${hex.slice(0, this.limit - this.out.length + 1)}]`);
  }

  private container(o: object, depth: number): void {
    let kind: 'bytes' | 'array' | 'map' | 'set' | 'object';
    try {
      kind = Array.isArray(o)
        ? 'array'
        : isPlain(o)
          ? 'object'
          : ArrayBuffer.isView(o) || types.isAnyArrayBuffer(o)
            ? 'bytes'
            : types.isMap(o)
              ? 'map'
              : types.isSet(o)
                ? 'set'
                : 'object';
    } catch {
      this.out += MARKERS.unreadable; // a revoked Proxy
      return;
    }
    if (kind === 'bytes') return this.bytes(o as ArrayBufferView | ArrayBuffer);
    if (depth >= MAX_DEPTH) {
      this.capped = true;
      this.out += MARKERS.tooDeep;
      return;
    }
    if (this.isAncestor(o, depth)) {
      this.out += MARKERS.circular;
      return;
    }
    if (depth < SHALLOW) this.path[depth] = o;
    else this.deepPath.add(o);
    if (kind === 'array') this.array(o as unknown[], depth + 1);
    else if (kind === 'map') this.map(o as Map<unknown, unknown>, depth + 1);
    else if (kind === 'set') this.set(o as Set<unknown>, depth + 1);
    else this.object(o, depth + 1);
    if (depth < SHALLOW) this.path[depth] = null;
    else this.deepPath.delete(o);
  }

  private isAncestor(o: object, depth: number): boolean {
    const shallow = depth < SHALLOW ? depth : SHALLOW;
    for (let i = 0; i < shallow; i++) if (this.path[i] === o) return true;
    return depth > SHALLOW && this.deepPath.has(o);
  }

  /** Binary data is a JSON string: `base64:` and the standard base64 of the bytes the view covers. */
  private bytes(o: ArrayBufferView | ArrayBuffer): void {
    let bytes: Buffer;
    try {
      bytes = ArrayBuffer.isView(o) ? Buffer.from(o.buffer, o.byteOffset, o.byteLength) : Buffer.from(o);
    } catch {
      this.out += MARKERS.unreadable;
      return;
    }
    // 3 bytes make 4 characters: enough whole groups to pass the budget, and a prefix of the full base64.
    const room = this.limit - this.out.length;
    const need = (Math.floor((room + 1) / 4) + 1) * 3;
    this.out += `"base64:${(bytes.length > need ? bytes.subarray(0, need) : bytes).toString('base64')}"`;
  }

  private array(a: unknown[], depth: number): void {
    let length: number;
    try {
      length = a.length;
    } catch {
      this.out += MARKERS.unreadable;
      return;
    }
    this.out += '[';
    for (let i = 0; i < length; i++) {
      if (i > 0) this.out += ', ';
      if (!this.visit()) return;
      this.emit(this.resolve(this.read(a, i), i), depth);
      if (this.stopped) return;
    }
    this.out += ']';
  }

  private object(o: object, depth: number): void {
    const keys = this.ownKeys(o);
    if (keys === undefined) return;
    sortByCodePoint(keys);
    this.out += '{';
    let first = true;
    for (const key of keys) {
      if (!this.visit()) return;
      if (this.member(key, this.read(o, key), first, depth)) first = false;
      if (this.stopped) return;
    }
    this.out += '}';
  }

  /**
   * The object's own enumerable string keys, or undefined (and a marker
   * written) when there are more than the walk may still visit: the text would
   * be cut inside this object anyway, so they are neither sorted nor read. A
   * Proxy is asked one key at a time (`for...in`, whose enumerability checks
   * are lazy) and left at the first key past the budget: a Proxy claiming a
   * million keys costs the budget's worth of traps, not a million. Any other
   * object's keys come from one native `Object.keys`, the cheapest listing
   * there is (no JavaScript can count an object's keys without it).
   */
  private ownKeys(o: object): string[] | undefined {
    const room = this.maxBytes - this.visits;
    let keys: string[] | undefined;
    try {
      keys = types.isProxy(o) ? keysOfProxy(o, room) : Object.keys(o);
    } catch {
      this.out += MARKERS.unreadable; // a Proxy whose ownKeys or getOwnPropertyDescriptor trap throws
      return undefined;
    }
    if (keys === undefined || keys.length > room) {
      this.capped = true;
      this.out += MARKERS.tooManyKeys;
      return undefined;
    }
    return keys;
  }

  /** Writes `"key": value`, unless JSON leaves the member out; says whether it wrote one. */
  private member(key: string, raw: unknown, first: boolean, depth: number): boolean {
    const v = this.resolve(raw, key);
    if (omitted(v)) return false;
    if (!first) this.out += ', ';
    this.string(key);
    this.out += ': ';
    this.emit(v, depth);
    return true;
  }

  /** A Map is an object whose keys are coerced to strings as Python's json coerces dict keys. */
  private map(m: Map<unknown, unknown>, depth: number): void {
    const entries: [string, unknown][] = [];
    for (const [k, v] of Map.prototype.entries.call(m) as IterableIterator<[unknown, unknown]>) {
      if (!this.visit()) break;
      entries.push([mapKey(k), v]);
    }
    entries.sort((x, y) => compareCodePoints(x[0], y[0]));
    this.out += '{';
    let first = true;
    for (const [key, raw] of entries) {
      if (this.member(key, raw, first, depth)) first = false;
      if (this.stopped) return;
    }
    if (!this.stopped) this.out += '}';
  }

  /** A Set is an array of its elements' canonical texts in code-point order: the order they were added does not count. */
  private set(s: Set<unknown>, depth: number): void {
    const before = this.out;
    const limit = this.limit;
    const parts: string[] = [];
    let used = before.length + 1;
    for (const element of Set.prototype.values.call(s) as IterableIterator<unknown>) {
      if (!this.visit()) break;
      this.out = '';
      this.limit = limit - used;
      this.emit(this.resolve(element, ''), depth);
      parts.push(this.out);
      used += this.out.length + 2;
      if (this.stopped) break;
    }
    this.out = before;
    this.limit = limit;
    parts.sort(compareCodePoints);
    this.out += `[${parts.join(', ')}${this.stopped ? '' : ']'}`;
  }
}
