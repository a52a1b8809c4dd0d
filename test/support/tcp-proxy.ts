import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';

/**
 * A TCP proxy to a real service that a test can take down and bring back, to simulate an outage of
 * the service for one client without stopping the service for everyone else on the machine. With
 * `delayMs`, every chunk waits that long in each direction (in order), like a network hop.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
    private readonly delayMs = 0,
  ) {}

  static async freePort(): Promise<number> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    return port;
  }

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      if (this.delayMs === 0) {
        client.pipe(upstream).pipe(client);
        return;
      }
      const forward = (from: Socket, to: Socket) => {
        from.on('data', (chunk) => setTimeout(() => to.write(chunk), this.delayMs));
        from.on('end', () => setTimeout(() => to.end(), this.delayMs));
      };
      forward(client, upstream);
      forward(upstream, client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  /** Refuses new connections and cuts the open ones. */
  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
    this.server = undefined;
  }
}
