/**
 * A local fake of the OpenAI and Anthropic HTTP APIs for tests of the real
 * SDKs (and of frameworks built on them): see FakeProvider.
 */
export { FakeProvider, MODEL_LIST, startFakeProvider, type ReceivedRequest } from './fake-provider.js';
export type {
  AnswerFn,
  Endpoint,
  RequestView,
  ScriptedAnswer,
  ScriptedError,
  ScriptedReply,
  ScriptedTiming,
  ScriptedToolCall,
  ScriptedUsage,
} from './answer.js';
