import type { Logger } from 'pino';
import type { CaptureOptions } from '../core/capture/capture.js';
import type { LoopGuardSetting } from '../core/guards/loop-guard.js';
import type { AgentLoggingIntegration } from '../core/integration.js';
import type { Prices } from '../core/pricing/price-table.js';
import type { ErrorMessageMode } from '../core/redaction/scrubber.js';
import type { UsageExtractor } from '../core/token-usage.js';

/**
 * Options of `AgentLoggingModule.forRoot` / `forRootAsync`. Every option is
 * checked when the module starts; a wrong one fails the boot naming it.
 */
export interface AgentLoggingModuleOptions {
  /** Refuse any step past this many in one run (`max_steps`). Default: no limit, since a logger must not change behaviour unasked. */
  maxSteps?: number;
  /** End a run with `timeout` after this many ms and abort its signal. Default: none. */
  timeoutMs?: number;
  /** Write events to this pino logger. Default: nestjs-pino's root logger when LoggerModule is imported, else pino to stdout. */
  logger?: Logger;
  /** Header carrying the request id. Default `x-request-id`; pino-http's `req.id` is the fallback. */
  requestIdHeader?: string;
  /** Reads the user id from the request (HTTP), the RPC context or the WebSocket client. Default: `req.user?.id`. */
  userId?: (request: unknown) => unknown;
  /** With a secret (≥ 16 bytes), every hash is HMAC-SHA256 so low-entropy values (emails, order numbers) cannot be guessed back. Set it in production. */
  hashSecret?: string | Buffer;
  /** Budget in UTF-8 bytes of canonical JSON (and in values visited) per hash; past it a prefix is hashed and the event says `*_truncated`. Default 65536. */
  hashMaxBytes?: number;
  /** Write `result_hash` on tool_result. Default true. */
  hashResults?: boolean;
  /** `scrubbed` (default), `raw` (development only) or `omit`. */
  errorMessages?: ErrorMessageMode;
  /** Error messages come out at most this many characters long, the last one `…` when cut. Default 500. */
  errorMessageMaxLength?: number;
  /** Extra patterns replaced by `[redacted]` in error messages and captured values, after the built-in ones; applied to every occurrence. */
  scrubPatterns?: RegExp[];
  /** Write `user_id` as a keyed hash (HMAC-SHA256, 32 hex) instead of the id itself. Needs `hashSecret`. */
  pseudonymizeUserId?: boolean;
  /** Opt-in capture of raw values for development; off by default. Each value is redacted, scrubbed and capped. */
  capture?: CaptureOptions;
  /** Reads token usage from every `@AgentLlm` result, replacing the built-in OpenAI / Anthropic / Vercel AI reader. */
  tokenUsage?: UsageExtractor;
  /** Views of the same runs from the package's optional entry points (OpenTelemetry, metrics). Default: none. */
  integrations?: AgentLoggingIntegration[];
  /**
   * Watch every run for a tool called with the same arguments again and again: `true` for the defaults (3 in a
   * row, warn), or options; `@AgentRun` and `@AgentTool` can override it. Default: off (docs/guards.md).
   */
  loopGuard?: LoopGuardSetting;
  /** Refuse any step once a run has used this many tokens (`budget_exceeded`); `@AgentRun` can override it. Default: none. */
  maxTokens?: number;
  /** Refuse any step once a run's model calls cost this many USD (`budget_exceeded`); needs `prices`. Default: none. */
  maxCostUsd?: number;
  /** USD per million tokens by model, `{ "gpt-4o-mini": { input: 0.15, output: 0.6 } }`: for `maxCostUsd` and the metrics' cost. */
  prices?: Prices;
}

/** Options fixed when the module is defined (they shape the module, so they cannot come from a factory). */
export interface AgentLoggingModuleExtras {
  /** Register `AgentContextInterceptor` for every handler. Default true. */
  globalInterceptor?: boolean;
}

/** Injection token of the validated module options. */
export const AGENT_LOGGING_OPTIONS = Symbol('AGENT_LOGGING_OPTIONS');
