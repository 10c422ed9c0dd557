import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { createRequestScopeReader } from '../../src/nest/request-scope.reader';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const traceparent = `00-${TRACE}-${PARENT}-01`;

function context(type: 'http' | 'rpc' | 'ws' | 'graphql', args: unknown[]) {
  const ctx = new ExecutionContextHost(args);
  ctx.setType(type);
  return ctx;
}

describe('request scope reader', () => {
  const read = createRequestScopeReader({});

  it('reads NATS-style headers from the RPC context', () => {
    const headers = new Map([['x-request-id', 'nats-1'], ['traceparent', traceparent]]);
    const scope = read(context('rpc', [{ data: 1 }, { getHeaders: () => headers }]));
    expect(scope).toEqual({ requestId: 'nats-1', traceId: TRACE, parentSpanId: PARENT, traceFlags: '01' });
  });

  it('reads Kafka message headers, which arrive as Buffers', () => {
    const message = { headers: { 'x-request-id': Buffer.from('kafka-1'), traceparent: Buffer.from(traceparent) } };
    const scope = read(context('rpc', [{}, { getMessage: () => message }]));
    expect(scope).toMatchObject({ requestId: 'kafka-1', traceId: TRACE, parentSpanId: PARENT });
  });

  it('reads RabbitMQ message properties headers', () => {
    const message = { properties: { headers: { 'x-request-id': 'rmq-1', traceparent } } };
    const scope = read(context('rpc', [{}, { getMessage: () => message }]));
    expect(scope).toMatchObject({ requestId: 'rmq-1', traceId: TRACE });
  });

  it('reads a socket.io handshake and the user a gateway guard put on the client', () => {
    const client = { handshake: { headers: { 'x-request-id': 'ws-1', traceparent } }, user: { id: 'u-1' } };
    expect(read(context('ws', [client, {}]))).toMatchObject({ requestId: 'ws-1', userId: 'u-1', traceId: TRACE });
  });

  it('reads the upgrade request a platform-ws gateway kept on its client', () => {
    const client = { request: { headers: { 'x-request-id': 'ws-2', traceparent } } };
    expect(read(context('ws', [client, {}]))).toMatchObject({ requestId: 'ws-2', traceId: TRACE });
  });

  it('gives an empty scope, never an error, for unknown transports and hostile contexts', () => {
    expect(read(context('graphql', [{}, {}]))).toEqual({});
    const hostile = { get headers(): never { throw new Error('boom'); } };
    expect(read(context('http', [hostile]))).toEqual({});
    const throwingRpc = { getHeaders: () => { throw new Error('boom'); } };
    expect(read(context('rpc', [{}, throwingRpc]))).toEqual({});
  });

  it('leaves out the user id when a custom extractor throws, keeping the rest', () => {
    const reader = createRequestScopeReader({ userId: () => { throw new Error('no user'); } });
    const req = { headers: { 'x-request-id': 'r-1' } };
    expect(reader(context('http', [req]))).toEqual({ requestId: 'r-1', userId: undefined });
  });
});
