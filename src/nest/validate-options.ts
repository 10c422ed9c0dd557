import { createCapturer } from '../core/capture/capture.js';
import { AgentLoggingConfigError } from '../core/errors.js';
import { loopGuardProblem } from '../core/guards/loop-guard.js';
import { priceTableProblem } from '../core/pricing/price-table.js';
import { assertValidScrubPatterns } from '../core/redaction/scrubber.js';
import { MAX_TIMEOUT_MS } from '../core/specs.js';
import type { AgentLoggingModuleExtras, AgentLoggingModuleOptions } from './agent-logging.options.js';

type Check = (value: unknown) => string | undefined;

const positiveInt: Check = (v) => (Number.isSafeInteger(v) && (v as number) > 0 ? undefined : 'a positive integer');
const timeout: Check = (v) => (positiveInt(v) === undefined && (v as number) <= MAX_TIMEOUT_MS ? undefined : `a positive integer up to ${MAX_TIMEOUT_MS} (setTimeout's limit)`);
const positiveNumber: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'a number above 0');
const fn: Check = (v) => (typeof v === 'function' ? undefined : 'a function');
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const headerName: Check = (v) => (typeof v === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(v) ? undefined : 'an HTTP header name');
const headerNameOrFalse: Check = (v) => (v === false ? undefined : headerName(v) && 'an HTTP header name, or false');
/** In bytes, as HMAC reads the key: a string counts its UTF-8 bytes, not its UTF-16 units. */
export const MIN_HASH_SECRET_BYTES = 16;
const secret: Check = (v) =>
  (typeof v === 'string' && Buffer.byteLength(v, 'utf8') >= MIN_HASH_SECRET_BYTES) || (Buffer.isBuffer(v) && v.length >= MIN_HASH_SECRET_BYTES)
    ? undefined
    : `a string or Buffer of at least ${MIN_HASH_SECRET_BYTES} bytes`;
const pinoLogger: Check = (v) =>
  typeof v === 'object' && v !== null && typeof (v as { child?: unknown }).child === 'function' && typeof (v as { info?: unknown }).info === 'function'
    ? undefined
    : 'a pino logger';
const oneOf =
  (...values: string[]): Check =>
  (v) =>
    values.includes(v as string) ? undefined : `one of ${values.map((x) => `"${x}"`).join(', ')}`;
const patterns: Check = (v) => {
  try {
    assertValidScrubPatterns(v);
    return undefined;
  } catch (err) {
    return `an array of RegExp (${(err as Error).message})`;
  }
};

const capture: Check = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'an object';
  const fields: Record<string, Check> = { args: bool, results: bool, prompts: bool, outputs: bool, maxLength: positiveInt, redact: stringArray };
  for (const [key, value] of Object.entries(v)) {
    const problem = fields[key] ? value !== undefined && fields[key](value) : `known keys only (${Object.keys(fields).join(', ')})`;
    if (problem) return `an object whose "${key}" is ${problem}`;
  }
  try {
    createCapturer(v);
  } catch (err) {
    return `valid (${(err as Error).message})`;
  }
  return undefined;
};
const stringArray: Check = (v) => (Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0) ? undefined : 'an array of strings');

const integrations: Check = (v) =>
  Array.isArray(v) && v.every((i) => typeof i === 'object' && i !== null && typeof (i as { name?: unknown }).name === 'string')
    ? undefined
    : 'an array of integrations (from nestjs-agent-logging/<integration>)';

const CHECKS: Record<keyof AgentLoggingModuleOptions, Check> = {
  maxSteps: positiveInt,
  timeoutMs: timeout,
  logger: pinoLogger,
  requestIdHeader: headerName,
  runIdHeader: headerNameOrFalse,
  userId: fn,
  hashSecret: secret,
  hashMaxBytes: positiveInt,
  hashResults: bool,
  errorMessages: oneOf('scrubbed', 'raw', 'omit'),
  errorMessageMaxLength: positiveInt,
  scrubPatterns: patterns,
  tokenUsage: fn,
  pseudonymizeUserId: bool,
  capture,
  integrations,
  loopGuard: (v) => loopGuardProblem(v),
  maxTokens: positiveInt,
  maxCostUsd: positiveNumber,
  prices: (v) => {
    const problem = priceTableProblem(v);
    return problem && `a price table (${problem})`;
  },
};

const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? (v === null ? 'null' : 'an object') : String(v));

/** A secret's shape, never its value: a boot error is logged, and a short secret is still a secret. */
const describeSecret = (v: unknown) =>
  typeof v === 'string' ? `a string of ${Buffer.byteLength(v, 'utf8')} bytes` : Buffer.isBuffer(v) ? `a Buffer of ${v.length} bytes` : describe(v);

/** The options are one plain object (or nothing). */
export function validateOptionsShape(options: unknown): asserts options is object | undefined {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new AgentLoggingConfigError(`AgentLoggingModule options must be an object, got ${describe(options)}`);
  }
}

/**
 * Checks the module options when the module starts, so a typo or a wrong type
 * fails the boot with the option's name instead of surprising at run time.
 */
export function validateOptions(options: unknown): AgentLoggingModuleOptions {
  if (options === undefined) return {};
  validateOptionsShape(options);
  for (const [key, value] of Object.entries(options)) {
    if (key === 'globalInterceptor') {
      throw new AgentLoggingConfigError('AgentLoggingModule: option "globalInterceptor" shapes the module, so it cannot come from a factory: give it beside useFactory in forRootAsync');
    }
    const check = CHECKS[key as keyof AgentLoggingModuleOptions];
    if (!check) {
      throw new AgentLoggingConfigError(`AgentLoggingModule: unknown option "${key}" (known: ${Object.keys(CHECKS).join(', ')})`);
    }
    if (value === undefined) continue;
    const expected = check(value);
    if (expected) {
      const got = key === 'hashSecret' ? describeSecret(value) : describe(value);
      throw new AgentLoggingConfigError(`AgentLoggingModule: option "${key}" must be ${expected}, got ${got}`);
    }
  }
  const valid = options as AgentLoggingModuleOptions;
  if (valid.pseudonymizeUserId && valid.hashSecret === undefined) {
    throw new AgentLoggingConfigError('AgentLoggingModule: option "pseudonymizeUserId" needs "hashSecret": an unkeyed hash of a user id is reversible by guessing');
  }
  if (valid.maxCostUsd !== undefined && valid.prices === undefined) {
    throw new AgentLoggingConfigError('AgentLoggingModule: option "maxCostUsd" needs "prices": a cost is known only for priced models');
  }
  return valid;
}

/**
 * Checks the options that shape the module (`globalInterceptor`) when
 * `forRoot` / `forRootAsync` is called: they decide which providers exist, so
 * they are checked before the app is built. `undefined` means the default.
 */
export function validateExtras<T extends AgentLoggingModuleExtras>(extras: T): T {
  const value = extras.globalInterceptor;
  if (value !== undefined && typeof value !== 'boolean') {
    throw new AgentLoggingConfigError(`AgentLoggingModule: option "globalInterceptor" must be ${bool(value)}, got ${describe(value)}`);
  }
  return extras;
}

const ASYNC_KEYS = ['imports', 'inject', 'useFactory', 'useClass', 'useExisting', 'provideInjectionTokensFrom', 'globalInterceptor'];

/** `forRootAsync` takes the options from its factory: any other key beside the factory's is a mistake, refused by name. */
export function validateAsyncOptionKeys(options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new AgentLoggingConfigError(`AgentLoggingModule.forRootAsync takes { imports, inject, useFactory | useClass | useExisting }, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (ASYNC_KEYS.includes(key)) continue;
    const hint = key in CHECKS ? `; return it from useFactory` : ` (known: ${ASYNC_KEYS.join(', ')})`;
    throw new AgentLoggingConfigError(`AgentLoggingModule.forRootAsync: unexpected option "${key}"${hint}`);
  }
}
