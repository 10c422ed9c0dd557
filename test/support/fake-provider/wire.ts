import type { RequestView, ScriptedError, ScriptedReply } from './answer.js';

/** One server-sent event as the wire carries it. */
export interface SseEvent {
  /** The `event:` field; Chat Completions sends none. */
  event?: string;
  /** Sent as JSON, or verbatim when a string (`[DONE]`). */
  data: unknown;
  /** The first event carrying model output: `firstTokenDelayMs` is waited before it. */
  firstToken?: boolean;
}

/** The ids the fake provider made up (or the script gave) for one answer. */
export interface AnswerIds {
  requestId: string;
  responseId: string;
  /** Seconds since the epoch, as `created` fields carry it. */
  created: number;
}

/** How one provider's API writes answers: one module per wire format. */
export interface WireFormat {
  /** The request id header this provider sends (`x-request-id`, `request-id`). */
  readonly requestIdHeader: string;
  /** A response id in this provider's style. */
  responseId(n: number): string;
  /** The request id in this provider's style. */
  requestId(n: number): string;
  json(reply: ScriptedReply, request: RequestView, ids: AnswerIds): unknown;
  events(reply: ScriptedReply, request: RequestView, ids: AnswerIds): SseEvent[];
  errorBody(error: ScriptedError['error'], ids: AnswerIds): unknown;
}

/** The model a reply reports: the scripted one, else the requested one. */
export const replyModel = (reply: ScriptedReply, request: RequestView): string =>
  reply.model ?? (typeof request.body.model === 'string' ? request.body.model : 'unknown-model');

/** `n` as lowercase hex, padded: ids that look like the real ones without being random. */
export const hexId = (n: number, width = 24): string => n.toString(16).padStart(width, '0');
