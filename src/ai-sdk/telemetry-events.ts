import type { StepLike } from './step-cap.js';

/**
 * The fields of the AI SDK 7 telemetry events this integration reads (the
 * SDK's own types are generic over the call's tools; any event of the right
 * kind fits these).
 */
export interface CallEvent {
  callId: string;
}
export interface StartEvent extends CallEvent {
  operationId?: string;
  functionId?: string;
  instructions?: unknown;
  messages?: unknown;
}
export interface ModelStartEvent extends CallEvent {
  modelId?: string;
  instructions?: unknown;
  messages?: unknown;
}
export interface ModelEndEvent extends CallEvent {
  provider?: string;
  modelId?: string;
  responseId?: string;
  finishReason?: string;
  usage?: unknown;
  content?: unknown;
}
export interface ToolCallPart {
  toolCallId: string;
  toolName: string;
  input: unknown;
}
export interface ToolStartEvent extends CallEvent {
  toolCall: ToolCallPart;
}
export interface ToolEndEvent extends ToolStartEvent {
  toolOutput: { type: string; output?: unknown; error?: unknown };
}
export interface EndEvent extends CallEvent {
  finalStep?: StepLike;
  steps?: StepLike[];
}
