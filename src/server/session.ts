// One client connection: parses requests from the socket, runs every complete command of one
// read synchronously, and writes all their replies with one socket write. Pauses reading while
// the kernel will not take more output, so a client that does not read cannot grow our memory.

import type { Socket } from 'node:net';
import { ClientState } from '../commands/client.js';
import type { Executor } from '../commands/executor.js';
import { InvariantError } from '../engine/assert.js';
import { ReplyEncoder } from '../resp/encoder.js';
import { ProtocolError, RequestParser } from '../resp/parser.js';
import type { Logger } from './logger.js';

export interface SessionEvents {
  closed(session: Session): void;
  /** Under appendfsync always: replies wait until the writes they may reveal are durable. */
  durability?: DurabilityGate | undefined;
}

/** What a session needs of the log to hold replies (implemented by src/persist). */
export interface DurabilityGate {
  readonly lastAppendedSequence: number;
  readonly lastDurableSequence: number;
  /** The sequence this batch's replies must wait for, or undefined to send them now. */
  holdUntil(appendedBefore: number): number | undefined;
  whenDurable(sequence: number, callback: () => void): void;
}

export class Session {
  readonly parser: RequestParser;
  readonly encoder = new ReplyEncoder();
  private executing = false;
  private closed = false;
  /** Replies are held until this log sequence is durable (0: nothing held). */
  private heldUntil = 0;

  constructor(
    readonly socket: Socket,
    readonly client: ClientState,
    private readonly executor: Executor,
    private readonly logger: Logger,
    private readonly events: SessionEvents,
  ) {
    this.parser = new RequestParser(requestLimits(executor));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => socket.resume());
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    const client = this.client;
    const encoder = this.encoder;
    const nowMs = Date.now();
    const appendedBefore = this.events.durability?.lastAppendedSequence ?? 0;
    this.executing = true;
    try {
      this.parser.feed(chunk);
      for (let argv = this.parser.next(); argv !== null; argv = this.parser.next()) {
        const mark = encoder.mark();
        try {
          this.executor.execute(client, argv, encoder, nowMs);
        } catch (error) {
          if (error instanceof InvariantError) throw error;
          // A bug in one handler: answer that command with an error and keep serving.
          encoder.rewind(mark);
          encoder.error(`ERR internal error: ${(error as Error).message}`);
          this.logger.warning(
            `internal error in '${argv[0] ?? ''}': ${(error as Error).stack ?? ''}`,
          );
        }
        if (client.closeAfterReply) break;
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      encoder.error(`ERR ${error.message}`);
      client.closeAfterReply = true;
      this.logger.verbose(`protocol error from client id=${client.id}: ${error.message}`);
    } finally {
      this.executing = false;
    }
    // --- durability: hold this read's replies until its log entries are fsynced (issue 4) ---
    const holdUntil = this.events.durability?.holdUntil(appendedBefore);
    if (holdUntil !== undefined) return this.hold(holdUntil);
    // --- end durability ---
    this.flush();
  }

  /** Keeps every pending reply until log entry `sequence` is durable; reading pauses meanwhile. */
  private hold(sequence: number): void {
    const gate = this.events.durability as DurabilityGate;
    const alreadyHolding = this.heldUntil !== 0;
    this.heldUntil = Math.max(this.heldUntil, sequence);
    if (alreadyHolding) return;
    this.socket.pause();
    const release = (): void => {
      if (gate.lastDurableSequence < this.heldUntil)
        return gate.whenDurable(this.heldUntil, release);
      this.heldUntil = 0;
      if (this.closed) return;
      this.socket.resume();
      this.flush();
    };
    gate.whenDurable(this.heldUntil, release);
  }

  /** Writes pending replies; closes the connection if the client is marked to close. */
  flush(): void {
    if (this.closed || this.heldUntil !== 0) return;
    if (this.encoder.length > 0) {
      const accepted = this.socket.write(this.encoder.take());
      if (!accepted) this.socket.pause();
    }
    if (this.client.closeAfterReply) {
      this.closed = true;
      this.socket.end();
      this.events.closed(this);
    }
  }

  /** Closes after pending replies (CLIENT KILL, SHUTDOWN); immediate when not mid-command. */
  close(): void {
    this.client.closeAfterReply = true;
    if (!this.executing) this.flush();
  }

  destroy(): void {
    if (!this.socket.destroyed) this.socket.destroy();
    if (this.closed) return;
    this.closed = true;
    this.events.closed(this);
  }
}

function requestLimits(executor: Executor) {
  return {
    maxBulkBytes: executor.config.getNumber('proto-max-bulk-len'),
    maxQueryBufferBytes: executor.config.getNumber('client-query-buffer-limit'),
  };
}

export { ClientState };
