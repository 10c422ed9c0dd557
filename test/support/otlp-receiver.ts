import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One span as an OTLP/HTTP JSON export carries it, with its attributes decoded to plain values. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  status: { code?: number; message?: string };
  attributes: Record<string, unknown>;
  service?: unknown;
  scope?: string;
  schemaUrl?: string;
}

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } };
type KeyValue = { key: string; value: AnyValue };

function decodeValue(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(decodeValue);
  return undefined;
}

const decodeAttributes = (list: KeyValue[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, decodeValue(kv.value)]));

/**
 * A local OTLP/HTTP receiver on 127.0.0.1: takes what the real OTLP exporter
 * sends to `/v1/traces` (JSON, gzipped or not), decodes it, answers 200 as a
 * Collector does, and keeps every span.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        if (req.url !== '/v1/traces') throw new Error(`unexpected path ${req.url}`);
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        if (!String(req.headers['content-type']).startsWith('application/json')) throw new Error(`unexpected content-type ${req.headers['content-type']}`);
        this.take(JSON.parse(body.toString('utf8')));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
    });
  });

  private take(request: { resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { scope?: { name?: string }; schemaUrl?: string; spans?: Record<string, unknown>[] }[] }[] }): void {
    for (const rs of request.resourceSpans ?? []) {
      const service = decodeAttributes(rs.resource?.attributes)['service.name'];
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          this.spans.push({
            traceId: s.traceId as string,
            spanId: s.spanId as string,
            parentSpanId: (s.parentSpanId as string | undefined) || undefined,
            name: s.name as string,
            kind: s.kind as number,
            status: (s.status ?? {}) as ReceivedSpan['status'],
            attributes: decodeAttributes(s.attributes as KeyValue[]),
            service,
            scope: ss.scope?.name,
            schemaUrl: ss.schemaUrl,
          });
        }
      }
    }
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The span with this id, or a failure naming the ones received. */
  byId(spanId: string): ReceivedSpan {
    const span = this.spans.find((s) => s.spanId === spanId);
    if (!span) throw new Error(`no span ${spanId} among ${this.spans.map((s) => `${s.name} ${s.spanId}`).join(', ')}`);
    return span;
  }
}
