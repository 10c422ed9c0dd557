import { aiSdk } from './ai-sdk.js';
import { anthropicMessages } from './anthropic-messages.js';
import { dataView, isObj, modelName, reason, sdkRequestId, type ModelReading, type ProviderReader, type StreamReading } from './model-reading.js';
import { openaiChat } from './openai-chat.js';
import { openaiResponses } from './openai-responses.js';

export type { ModelReading, ProviderReader, StreamReading } from './model-reading.js';

/**
 * Every wire format the engine reads, most specific first: a result is read
 * by the first reader that recognises it (its type marker, else the keys of
 * its usage). Adding a format is one file and one line here.
 */
export const PROVIDER_READERS: readonly ProviderReader[] = [openaiChat, openaiResponses, anthropicMessages, aiSdk];

/** What a model call's result says, by the reader of its format; a shape none knows gives its `model` and finish reason only. Never throws. */
export function readModelResult(value: unknown): ModelReading {
  try {
    if (!isObj(value)) return {};
    const view = dataView(value);
    const reader = PROVIDER_READERS.find((r) => r.isResult(view));
    if (reader) return reader.readResult(view);
    return { model: modelName(view.model), finishReason: reason(view.finish_reason ?? view.stop_reason), requestId: sdkRequestId(view) };
  } catch {
    return {};
  }
}

/** A reader for the stream whose item this is, or undefined when no format claims it. Never throws. */
export function streamReaderFor(item: unknown): StreamReading | undefined {
  try {
    if (!isObj(item)) return undefined;
    const inner = PROVIDER_READERS.find((r) => r.readStream && r.isStreamItem?.(dataView(item)))?.readStream?.();
    return inner && { push: (next) => isObj(next) && inner.push(dataView(next)), reading: () => inner.reading() };
  } catch {
    return undefined;
  }
}
