// A TCP server on a port the system picks that keeps every socket it accepted or opened, so that
// close() ends them all: the base of test pieces that stand between processes (fault proxies,
// relays, fake peers).

import { createServer, type Server, type Socket } from 'node:net';

export abstract class TrackedServer {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  /** A new connection (tracked already). */
  protected abstract accept(socket: Socket): void;

  listen(host = '127.0.0.1'): Promise<number> {
    const server = createServer((socket) => {
      this.track(socket);
      this.accept(socket);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => {
        const address = server.address();
        this.port = typeof address === 'object' && address !== null ? address.port : 0;
        resolve(this.port);
      });
    });
  }

  /** Keeps `socket` to end it at close(); an error ends it at once. */
  protected track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  protected destroySockets(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  close(): Promise<void> {
    this.destroySockets();
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
