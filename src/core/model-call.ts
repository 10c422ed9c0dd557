import { elapsedMs, monotonicNow } from './clock.js';
import type { LlmResultEvent, TokenUsage } from './events/agent-event.js';
import type { Outcome } from './outcome.js';
import { readModelResult, streamReaderFor, type ModelReading, type StreamReading } from './providers/index.js';
import { dataView, id, reason } from './providers/model-reading.js';
import type { LlmSpec } from './specs.js';
import { normalizeTokenUsage, type UsageExtractor } from './token-usage.js';

/** The llm_result fields a model call's answer gives. */
export type ModelCallFields = Pick<LlmResultEvent, 'model' | 'response_model' | 'token_usage' | 'finish_reason' | 'provider' | 'response_id' | 'provider_request_id' | 'time_to_first_token_ms'>;

/**
 * What one model call's answer said, gathered while it arrives: the streamed
 * items (read by the reader of their wire format, chosen by the first item
 * one claims), the final value, and what the SDK's own objects told beside it
 * (a request id read from a response header). A custom usage extractor, when
 * configured, decides the usage instead of the readers.
 */
export class ModelCall {
  private stream?: StreamReading;
  /** Items no reader claims (a user's own generator): each read as a result, the last known value wins. */
  private loose?: ModelReading;
  private streamed = false;
  private firstTokenAt?: number;
  private extracted?: TokenUsage;
  private notes?: ModelReading;

  constructor(
    private readonly spec: LlmSpec,
    private readonly extractor: UsageExtractor | undefined,
    private readonly startedAt: number,
  ) {}

  /** One streamed item. */
  observe(item: unknown): void {
    let output: boolean;
    if (!this.streamed) {
      this.streamed = true;
      this.stream = streamReaderFor(item);
    }
    if (this.stream) {
      try {
        output = this.stream.push(item as Record<string, unknown>);
      } catch {
        output = false;
      }
    } else {
      const r = readModelResult(item);
      // Usage and finish reason come last in a stream, the model and ids first.
      this.loose = merge({ usage: r.usage, finishReason: r.finishReason }, merge(this.loose, r));
      output = true; // an item of a stream no format claims is the model's output (a token, a chunk)
    }
    if (output && this.firstTokenAt === undefined) this.firstTokenAt = monotonicNow();
    if (this.extractor) this.extracted = this.extract(item) ?? this.extracted;
  }

  /** What the SDK's objects said beside the value; the first value of each field stays. */
  note(facts: ModelReading): void {
    this.notes = merge(this.notes, { requestId: id(facts.requestId), provider: reason(facts.provider) });
  }

  /** The usage and model the answer gave so far (a stream's, as it arrives), for the run's budget. */
  soFar(): { usage?: TokenUsage; model: string } {
    const r = this.stream?.reading() ?? this.loose ?? {};
    return { usage: this.extractor ? this.extracted : r.usage, model: this.spec.model ?? r.model ?? this.spec.fallbackModel };
  }

  /** The llm_result fields for this outcome. */
  fields(outcome: Outcome): ModelCallFields {
    const value = outcome.type === 'ok' ? outcome.value : undefined;
    const final = value === undefined ? {} : readModelResult(value);
    const streamed = this.stream?.reading() ?? this.loose ?? {};
    const r = merge(merge(merge(final, streamed), this.notes), { requestId: outcome.type === 'error' ? errorRequestId(outcome.error) : undefined });
    const usage = this.extractor ? (value === undefined ? undefined : this.extract(value)) ?? this.extracted : r.usage;
    const model = this.spec.model ?? r.model ?? this.spec.fallbackModel;
    return {
      model,
      // The model named in the decorator is `model`; the one that answered (`gpt-4o-2024-08-06`) is kept beside it.
      response_model: r.model !== model ? r.model : undefined,
      token_usage: usage,
      finish_reason: r.finishReason,
      provider: r.provider,
      response_id: r.responseId,
      provider_request_id: r.requestId,
      time_to_first_token_ms: this.firstTokenAt === undefined ? undefined : elapsedMs(this.startedAt, this.firstTokenAt),
    };
  }

  private extract(value: unknown): TokenUsage | undefined {
    try {
      // A user's extractor may return anything: only counts are written and summed.
      return normalizeTokenUsage(this.extractor!(value));
    } catch {
      return undefined;
    }
  }
}

/** `a`'s fields, with `b`'s where `a` has none. */
function merge(a: ModelReading | undefined, b: ModelReading | undefined): ModelReading {
  if (!a) return b ?? {};
  if (!b) return a;
  const out: ModelReading = { ...b };
  for (const key of Object.keys(a) as (keyof ModelReading)[]) {
    if (a[key] !== undefined) (out as Record<string, unknown>)[key] = a[key];
  }
  return out;
}

/** The SDKs' `APIError#requestID` (a plain field, from the request-id header), what one quotes to support; no getter is called. */
function errorRequestId(error: unknown): string | undefined {
  try {
    return typeof error === 'object' && error !== null ? id(dataView(error).requestID) : undefined;
  } catch {
    return undefined; // a revoked Proxy can be no view's target
  }
}
