import net from 'node:net';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';

/** A TCP port free on the loopback interface right now. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** The microservice options for a TCP transport on a loopback port. */
export const tcpOptions = (port: number) => ({ transport: Transport.TCP as const, options: { host: '127.0.0.1', port } });

/** A connected client of the TCP microservice listening on `port`. */
export async function tcpClient(port: number): Promise<ClientProxy> {
  const client = ClientProxyFactory.create(tcpOptions(port));
  await client.connect();
  return client;
}
