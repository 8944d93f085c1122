// A RESP connection for the nemesis clients that never waits without a deadline: connecting,
// and every batch of replies, has one. A batch that is not fully answered in time, or a
// connection that closes, leaves the outcome of the unanswered commands unknown, and the
// connection is dropped (a late reply must never be taken for the answer to a later command).

import { connect, type Socket } from 'node:net';
import { type Reply, ReplyParser } from '../src/resp/reply-reader.js';
import { encodeCommand } from '../test/helpers/raw-client.js';

export class NemesisConnection {
  private readonly parser = new ReplyParser();
  private readonly replies: Reply[] = [];
  private wake: (() => void) | undefined;
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        this.parser.feed(chunk);
        for (let reply = this.parser.next(); reply !== undefined; reply = this.parser.next())
          this.replies.push(reply);
      } catch {
        // A reply we cannot parse: nothing more on this connection can be trusted.
        this.close();
      }
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => socket.destroy());
  }

  static open(port: number, timeoutMs: number): Promise<NemesisConnection | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(undefined);
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new NemesisConnection(socket));
      });
      socket.once('error', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(undefined);
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Sends the commands as one pipeline and waits for their replies. Returns as many replies as
   * arrived before the deadline or the close; if that is fewer than asked, the connection is
   * closed (the missing outcomes are unknown).
   */
  async pipeline(commands: string[][], timeoutMs: number): Promise<Reply[]> {
    if (this.closed) return [];
    this.socket.write(Buffer.concat(commands.map((argv) => encodeCommand(argv))));
    const deadline = performance.now() + timeoutMs;
    while (this.replies.length < commands.length && !this.closed) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    const got = this.replies.splice(0, commands.length);
    if (got.length < commands.length) this.close();
    return got;
  }

  async call(argv: string[], timeoutMs: number): Promise<Reply | undefined> {
    const [reply] = await this.pipeline([argv], timeoutMs);
    return reply;
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
