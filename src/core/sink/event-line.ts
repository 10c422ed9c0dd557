import { jsonString, type LineFormat } from './line-format.js';

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * The fields of one event as pino's `_asJson` writes them (`,"key":value`
 * each, in the object's own key order), or undefined when some value is not
 * one whose bytes are certain (a key a serializer or a redaction path
 * touches, a lone surrogate, a value JSON cannot write): the line is then
 * left to pino.
 */
export function eventFields(format: LineFormat, event: object): string | undefined {
  const e = event as Record<string, unknown>;
  // pino's log method maps an object that looks like an http request or response.
  if ((e.method && e.headers && e.socket) || typeof e.setHeader === 'function') return undefined;
  let out = '';
  for (const key in e) {
    if (!hasOwn.call(e, key)) continue;
    const value = e[key];
    if (value === undefined) continue;
    const prefix = format.keyPrefix(key);
    if (prefix === null) return undefined;
    switch (typeof value) {
      case 'string': {
        const json = jsonString(value);
        if (json === undefined) return undefined;
        out += prefix + json;
        break;
      }
      case 'number':
        out += prefix + (Number.isFinite(value) ? String(value) : 'null');
        break;
      case 'boolean':
        out += prefix + (value ? 'true' : 'false');
        break;
      case 'function':
        break;
      case 'object': {
        // pino's stringify is JSON.stringify, falling back to a safe serialiser when it throws.
        let json: string | undefined;
        try {
          json = JSON.stringify(value);
        } catch {
          return undefined;
        }
        if (json !== undefined) out += prefix + json;
        break;
      }
      default:
        return undefined; // bigint, symbol
    }
  }
  return out;
}

/** The whole line: level, time and bindings as pino has them, then the fields, nested under `nestedKey` if set. */
export function eventLine(format: LineFormat, levelPrefix: string, time: string, chindings: string, fields: string): string {
  const head = levelPrefix + time + chindings;
  if (format.nestedKeyStr !== '' && fields !== '') return `${head}${format.nestedKeyStr}${fields.slice(1)}}${format.end}`;
  return head + fields + format.end;
}
