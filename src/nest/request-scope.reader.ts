import type { ExecutionContext } from '@nestjs/common';
import type { RequestScope } from '../core/run-context.js';
import { userPseudonymizer } from '../core/hashing/user-pseudonym.js';
import { traceScopeFrom } from '../core/trace-headers.js';
import type { AgentLoggingModuleOptions } from './agent-logging.options.js';

type Headers = (name: string) => unknown;
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

// Ids from outside are bounded and printable-ASCII only: they cannot forge a
// second log line, move a terminal's cursor, or bloat every event of a run.
const SAFE_ID = /^[\x21-\x7e]{1,128}$/;

function safeId(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
  return typeof value === 'string' && SAFE_ID.test(value) ? value : undefined;
}

/** One header value as a string: repeated headers give their first value, Kafka's Buffers are decoded. */
function headerValue(value: unknown): unknown {
  if (Array.isArray(value)) value = value[0];
  if (Buffer.isBuffer(value)) return value.length <= 1024 ? value.toString('latin1') : undefined;
  return value;
}

function fromRecord(headers: unknown): Headers {
  if (!isObj(headers)) return () => undefined;
  if (typeof headers.get === 'function') return (name) => headerValue((headers.get as (n: string) => unknown).call(headers, name));
  return (name) => headerValue(headers[name]);
}

/** Where each transport keeps its headers and its user. */
function transportOf(ctx: ExecutionContext): { headers: Headers; subject: unknown; pinoId?: unknown } {
  switch (ctx.getType<string>()) {
    case 'http': {
      const req = ctx.switchToHttp().getRequest<Obj>();
      return { headers: fromRecord(req?.headers), subject: req, pinoId: req?.id };
    }
    case 'ws': {
      const client = ctx.switchToWs().getClient<Obj>();
      const handshake = isObj(client?.handshake) ? client.handshake : isObj(client?.request) ? client.request : undefined;
      return { headers: fromRecord(handshake?.headers), subject: client };
    }
    case 'rpc': {
      const rpc = ctx.switchToRpc().getContext<Obj>();
      // NATS: getHeaders(); Kafka: getMessage().headers; RabbitMQ: getMessage().properties.headers.
      const message = typeof rpc?.getMessage === 'function' ? (rpc.getMessage as () => unknown)() : undefined;
      const headers =
        typeof rpc?.getHeaders === 'function'
          ? (rpc.getHeaders as () => unknown)()
          : isObj(message)
            ? (message.headers ?? (isObj(message.properties) ? message.properties.headers : undefined))
            : undefined;
      return { headers: fromRecord(headers), subject: rpc };
    }
    default:
      return { headers: () => undefined, subject: undefined };
  }
}

const defaultUserId = (subject: unknown): unknown => (isObj(subject) && isObj(subject.user) ? subject.user.id : undefined);

/**
 * Reads request_id, user_id, an inbound W3C traceparent and the calling run
 * (W3C baggage `agent_log.run_id`) from whatever transport the handler serves. Never throws: a malformed, oversized or
 * control-character header is ignored, and the run gets a fresh trace id.
 */
export function createRequestScopeReader(options: AgentLoggingModuleOptions): (ctx: ExecutionContext) => RequestScope {
  const requestIdHeader = (options.requestIdHeader ?? 'x-request-id').toLowerCase();
  const userIdOf = options.userId ?? defaultUserId;
  const pseudonymize = userPseudonymizer({ pseudonymize: options.pseudonymizeUserId, secret: options.hashSecret });
  return (ctx) => {
    const scope: RequestScope = {};
    try {
      const { headers, subject, pinoId } = transportOf(ctx);
      scope.requestId = safeId(headers(requestIdHeader)) ?? safeId(pinoId);
      try {
        const userId = safeId(userIdOf(subject));
        scope.userId = userId === undefined ? undefined : pseudonymize(userId);
      } catch {
        // a throwing user extractor leaves user_id out
      }
      Object.assign(scope, traceScopeFrom(headers));
    } catch {
      // a transport we do not understand: no request context, never an error
    }
    return scope;
  };
}
