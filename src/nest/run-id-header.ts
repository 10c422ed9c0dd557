import type { ExecutionContext } from '@nestjs/common';

/** The response header that carries the run ids of a request, unless `runIdHeader` says otherwise. */
export const DEFAULT_RUN_ID_HEADER = 'x-agent-run-id';

/**
 * At most this many ids in the header: a handler that starts runs in a loop
 * must not grow the response head past what clients and proxies accept
 * (Node's own limit is 16 KiB). The others are found with
 * `agent-log runs --request <id>`.
 */
export const MAX_RUN_IDS_IN_HEADER = 10;

interface NodeResponse {
  setHeader(name: string, value: string): unknown;
  readonly headersSent: boolean;
}

const isResponse = (value: unknown): value is NodeResponse =>
  typeof value === 'object' && value !== null && typeof (value as NodeResponse).setHeader === 'function';

/**
 * Node's own response under the platform's: Express's response is one, a
 * Fastify reply wraps one (`reply.raw`). The header goes on Node's response,
 * because an `@Sse()` route writes that one's head itself, with the headers
 * Fastify's reply held when the handler was called.
 */
function nodeResponseOf(response: unknown): NodeResponse | undefined {
  const raw = typeof response === 'object' && response !== null ? (response as { raw?: unknown }).raw : undefined;
  if (isResponse(raw)) return raw;
  return isResponse(response) ? response : undefined;
}

/**
 * For each HTTP request, the callback core calls when a run starts in it
 * outside any other run: the run's id is put on the response at once, before
 * the handler answers (or fails, so that an exception filter's response has
 * it too) and before an SSE stream's head goes out with its first event.
 * Several runs in one request: their ids in start order, comma-separated
 * (an HTTP list), at most MAX_RUN_IDS_IN_HEADER. A run started once the head
 * is sent (a late run in a stream, after `@Res()` answered) cannot be added.
 */
export function createRunIdHeader(option: string | false | undefined): ((context: ExecutionContext) => ((runId: string) => void) | undefined) | undefined {
  if (option === false) return undefined;
  const name = (option ?? DEFAULT_RUN_ID_HEADER).toLowerCase();
  return (context) => {
    if (context.getType<string>() !== 'http') return undefined;
    const response = nodeResponseOf(context.switchToHttp().getResponse());
    if (!response) return undefined;
    const ids: string[] = [];
    return (runId) => {
      if (ids.length >= MAX_RUN_IDS_IN_HEADER || response.headersSent) return;
      ids.push(runId);
      response.setHeader(name, ids.join(', '));
    };
  };
}
