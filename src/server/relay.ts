// Forwarding for a replica group's followers: a client's commands go to the leader over one
// upstream connection per client (command lines out, replies back byte for byte), in order with
// the replies of node-local commands. An upstream that fails with commands pending closes the
// client's connection (their outcome is unknown). See docs/REPLICATION.md.

import { connect, type Socket } from 'node:net';
import { replyEnd } from '../resp/reply-framer.js';
import type { Session } from './session.js';

export interface UpstreamAddress {
  host: string;
  port: number;
}

interface Slot {
  bytes: Buffer | undefined;
}

function encodeCommand(argv: readonly string[]): Buffer {
  let size = 16;
  for (const arg of argv) size += arg.length + 16;
  const out = Buffer.allocUnsafe(size);
  let at = out.latin1Write(`*${argv.length}\r\n`, 0);
  for (const arg of argv) {
    at += out.latin1Write(`$${arg.length}\r\n`, at);
    at += out.latin1Write(arg, at);
    at += out.latin1Write('\r\n', at);
  }
  return out.subarray(0, at);
}

/**
 * Commands whose effect lives in the upstream connection's session on the leader (watched keys,
 * an open transaction, the selected database). Once one was relayed, the upstream cannot be
 * replaced silently: a new connection (to a new leader, or after the old one closed) would run
 * EXEC without the WATCH, queued commands outside MULTI, commands in database 0. The client's
 * connection is closed instead, as a Redis failover closes it.
 */
const SESSION_STATE = new Set(['watch', 'multi', 'select']);

/** Bound on commands sent upstream and not yet answered, per client. */
const PENDING_MAX = 100_000;

export class ClientRelay {
  private upstream: Socket | undefined;
  private target: UpstreamAddress | undefined;
  private readonly slots: Slot[] = [];
  private received: Buffer = Buffer.alloc(0);
  /** After SUBSCRIBE: every byte from upstream goes to the client as it comes. */
  private rawPipe = false;
  private closed = false;
  /** A SESSION_STATE command went over the current upstream. */
  private holdsState = false;

  constructor(private readonly session: Session) {}

  get pending(): number {
    return this.slots.length;
  }

  /** Whether the upstream session holds state of this client (WATCH, MULTI, SELECT). */
  get holdsSessionState(): boolean {
    return this.holdsState;
  }

  /** Queues local reply bytes (already produced) in order with relayed replies. */
  local(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.slots.push({ bytes });
    this.flush();
  }

  forward(argv: readonly string[], leader: UpstreamAddress): void {
    if (this.closed) return;
    if (this.slots.length >= PENDING_MAX) return this.fail('too many commands in flight');
    if (
      this.upstream === undefined ||
      this.target === undefined ||
      (this.slots.length === 0 &&
        (this.target.host !== leader.host || this.target.port !== leader.port))
    ) {
      if (this.holdsState)
        return this.fail('the leader changed; WATCH/MULTI/SELECT state was on the old one');
      this.connect(leader);
    }
    const name = (argv[0] ?? '').toLowerCase();
    if (SESSION_STATE.has(name)) this.holdsState = true;
    if (name.endsWith('subscribe')) this.rawPipe = true;
    if (!this.rawPipe) this.slots.push({ bytes: undefined });
    this.upstream?.write(encodeCommand(argv));
  }

  private connect(leader: UpstreamAddress): void {
    this.upstream?.destroy();
    this.received = Buffer.alloc(0);
    this.target = { ...leader };
    const socket = connect({ host: leader.host, port: leader.port });
    socket.setNoDelay(true);
    this.upstream = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.upstream !== socket) return;
      this.upstream = undefined;
      if (this.slots.some((slot) => slot.bytes === undefined) || this.rawPipe || this.holdsState) {
        this.fail('upstream connection to the leader lost');
      }
    });
  }

  private onData(chunk: Buffer): void {
    if (this.rawPipe && this.slots.every((slot) => slot.bytes !== undefined)) {
      this.flush();
      this.session.socket.write(chunk);
      return;
    }
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    let position = 0;
    for (;;) {
      const slot = this.slots.find((s) => s.bytes === undefined);
      if (slot === undefined) break;
      let end: number;
      try {
        end = replyEnd(this.received, position);
      } catch (error) {
        return this.fail((error as Error).message);
      }
      if (end < 0) break;
      slot.bytes = this.received.subarray(position, end);
      position = end;
    }
    this.received = this.received.subarray(position);
    this.flush();
    if (this.rawPipe && this.received.length > 0) {
      this.session.socket.write(this.received);
      this.received = Buffer.alloc(0);
    }
  }

  private flush(): void {
    const parts: Buffer[] = [];
    while (this.slots.length > 0 && (this.slots[0] as Slot).bytes !== undefined) {
      parts.push((this.slots.shift() as Slot).bytes as Buffer);
    }
    if (parts.length > 0 && !this.closed) this.session.socket.write(Buffer.concat(parts));
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.flush();
    this.session.relayFailed(reason);
  }

  close(): void {
    this.closed = true;
    this.upstream?.destroy();
    this.upstream = undefined;
  }
}
