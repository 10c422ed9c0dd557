/** The fields of an AI SDK `StepResult` that tell how the loop ended. */
export interface StepLike {
  finishReason?: string;
  toolCalls?: readonly { toolCallId: string; providerExecuted?: boolean }[];
  content?: readonly { type: string; toolCallId?: string }[];
}

/**
 * Whether the loop stopped on its `stopWhen` condition rather than because the
 * model was done. The SDK evaluates stop conditions only when the loop could
 * go on: the last step asked for tools and every one it runs itself has its
 * result or error. A loop ending there was cut short: by `isStepCount(n)`
 * (`stepCountIs`), or `ToolLoopAgent`'s default of 20 steps. A last step
 * waiting on a tool without `execute`, or on an approval, is not a cap.
 */
export function isStepCapStop(last: StepLike | undefined): boolean {
  if (!last || last.finishReason !== 'tool-calls') return false;
  const calls = (last.toolCalls ?? []).filter((call) => !call.providerExecuted);
  if (calls.length === 0) return false;
  const answered = new Set<string>();
  for (const part of last.content ?? []) {
    if ((part.type === 'tool-result' || part.type === 'tool-error') && part.toolCallId !== undefined) answered.add(part.toolCallId);
  }
  return calls.every((call) => answered.has(call.toolCallId));
}
