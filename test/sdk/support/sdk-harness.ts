import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import OpenAIv6 from 'openai-v6';
import { withAgentLlm, withAgentRun } from '../../../src/core/agent-context';
import { installEngine, tick } from '../../support/engine-harness';
import type { LogLine } from '../../support/log-capture';
import { startFakeProvider, type FakeProvider } from '../../support/fake-provider';

/** Both published majors of `openai`, typed as the current one (their surface is the same for these calls). */
export const OPENAI_MAJORS: [string, (provider: FakeProvider) => OpenAI][] = [
  ['openai 7', (p) => new OpenAI({ apiKey: 'sk-test', baseURL: p.openaiBaseURL, maxRetries: 0 })],
  ['openai 6', (p) => new OpenAIv6({ apiKey: 'sk-test', baseURL: p.openaiBaseURL, maxRetries: 0 }) as unknown as OpenAI],
];

export const anthropicClient = (p: FakeProvider) => new Anthropic({ apiKey: 'sk-ant-test', baseURL: p.anthropicBaseURL, maxRetries: 0 });

/** What one run wrote, around one decorated model call. */
export interface RunRecord<T> {
  value: T;
  error?: unknown;
  events: LogLine[];
  /** The run's llm_result events. */
  llm: LogLine[];
  finished: LogLine;
}

/**
 * The real SDKs against the fake provider, with the engine installed and
 * writing through pino into a capture. `model(fn)` is `fn` decorated as a
 * model step (`withAgentLlm`, no model configured: the answer names it);
 * `inRun(body)` runs `body` as an agent run and hands back what it wrote.
 */
export function useSdkHarness() {
  const h = {
    provider: undefined as unknown as FakeProvider,
    capture: undefined as unknown as ReturnType<typeof installEngine>['capture'],
    model<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
      return withAgentLlm({}, fn as never) as unknown as (...args: A) => R;
    },
    async inRun<T>(body: () => Promise<T>): Promise<RunRecord<T>> {
      h.capture.clear();
      let value: T | undefined;
      let error: unknown;
      try {
        value = await withAgentRun('sdk-test', body)();
      } catch (e) {
        error = e;
      }
      await tick();
      const events = h.capture.events;
      const finished = events.filter((e) => e.event === 'run_finished');
      expect(finished).toHaveLength(1);
      return { value: value as T, error, events, llm: events.filter((e) => e.event === 'llm_result'), finished: finished[0]! };
    },
  };
  let uninstall: () => void;
  beforeAll(async () => {
    h.provider = await startFakeProvider();
    const installed = installEngine();
    h.capture = installed.capture;
    uninstall = installed.uninstall;
  });
  afterEach(() => {
    expect(h.provider.pending()).toBe(0); // every scripted answer was asked for
    h.provider.reset();
  });
  afterAll(async () => {
    uninstall();
    await h.provider.close();
  });
  return h;
}

/** Reads a web ReadableStream of bytes to its end, as text. */
export async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
  }
}

/** Collects an async iterable into an array of JSON copies (what the caller saw, comparable across calls). */
export async function collect(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const items: unknown[] = [];
  for await (const item of iterable) items.push(JSON.parse(JSON.stringify(item)));
  return items;
}

/** The rejection of a promise, or a failure if it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** An error as the caller can observe it: its class, status, message and request id. */
export const errorView = (e: unknown) => {
  const err = e as { constructor: { name: string }; status?: unknown; message: string; requestID?: unknown; name?: string };
  return { class: err.constructor.name, name: err.name, status: err.status, message: err.message, requestID: err.requestID };
};
