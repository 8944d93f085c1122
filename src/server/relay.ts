// Forwarding for a replica group's followers: a client's commands go to the leader over one
// upstream connection per client (command lines out, replies back byte for byte), in order with
// the replies of node-local commands. The client's connection state (AUTH, HELLO, SELECT,
// CLIENT SETNAME) runs here and is replayed, replies discarded, on every new upstream
// connection, so a new leader sees the same session; CLIENT REPLY OFF/SKIP runs here only, and
// the replies it turns off are dropped as they come back. An upstream that fails with commands
// pending, or a leader change inside a relayed MULTI, closes the client's connection (their
// outcome is unknown). A relayed MULTI with a command refused here at queue time ends with a
// DISCARD upstream, answered EXECABORT. See docs/REPLICATION.md.

import { connect, type Socket } from 'node:net';
import { replyEnd } from '../resp/reply-framer.js';
import type { Session } from './session.js';

export interface UpstreamAddress {
  host: string;
  port: number;
}

interface Slot {
  bytes: Buffer | undefined;
  /** A replayed connection-state command, or CLIENT REPLY OFF/SKIP: no reply to the client. */
  discard?: boolean;
  /** Replaces the upstream reply (PUBLISH's receiver count is this node's). */
  rewrite?: ((reply: Buffer) => Buffer) | undefined;
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

/** EXEC's reply after a command was refused while queueing (Redis's words). */
const EXEC_ABORTED = Buffer.from(
  '-EXECABORT Transaction discarded because of previous errors.\r\n',
  'latin1',
);

/** Bound on commands sent upstream and not yet answered, per client. */
const PENDING_MAX = 100_000;

export class ClientRelay {
  private upstream: Socket | undefined;
  private target: UpstreamAddress | undefined;
  private readonly slots: Slot[] = [];
  private received: Buffer = Buffer.alloc(0);
  /** After MONITOR: every byte from upstream goes to the client as it comes. */
  private rawPipe = false;
  private closed = false;
  /** Commands sent upstream, and replies received, since this relay started (not raw pipe). */
  private forwarded = 0;
  private answered = 0;
  /** Connection-state commands that succeeded here, by name, replayed on each new upstream. */
  private readonly prelude = new Map<string, string[]>();
  /** A relayed MULTI is open upstream (its state lives on that connection only). */
  inTransaction = false;
  /** A command of the open MULTI was refused here at queue time: its EXEC must abort. */
  private transactionRefused = false;
  /** A relayed WATCH is in force upstream (until EXEC, DISCARD, UNWATCH or RESET). */
  private watching = false;

  constructor(private readonly session: Session) {}

  get pending(): number {
    return this.slots.length;
  }

  /** Queues local reply bytes (already produced) in order with relayed replies. */
  local(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.slots.push({ bytes });
    this.flush();
  }

  /**
   * A connection-state command (AUTH, HELLO, SELECT, RESET) ran here successfully: the upstream
   * session must match. Sent now if connected (reply discarded), and on every reconnection.
   */
  remember(argv: readonly string[]): void {
    const command = (argv[0] ?? '').toLowerCase();
    const name = command === 'client' ? `client ${(argv[1] ?? '').toLowerCase()}` : command;
    if (name === 'reset') {
      this.prelude.clear();
      this.inTransaction = false;
      this.transactionRefused = false;
    } else {
      // Only the last of each kind matters; re-inserting keeps the replay in the order of use.
      this.prelude.delete(name);
      this.prelude.set(name, [...argv]);
    }
    if (this.upstream !== undefined && !this.closed)
      this.send(argv, { bytes: undefined, discard: true });
  }

  /**
   * A command of the open MULTI was refused here (see ReplicaRouter.refuseQueued): the EXEC
   * becomes a DISCARD upstream, answered as Redis answers an EXEC after a refusal at queue time.
   */
  refuseTransaction(): void {
    if (this.inTransaction) this.transactionRefused = true;
  }

  /** `discard`: the client turned replies off (CLIENT REPLY OFF/SKIP): drop this one. */
  forward(
    argv: readonly string[],
    leader: UpstreamAddress,
    rewrite?: (reply: Buffer) => Buffer,
    discard = false,
  ): void {
    if (this.closed) return;
    if (this.slots.length >= PENDING_MAX) return this.fail('too many commands in flight');
    if (
      this.upstream === undefined ||
      this.target === undefined ||
      (this.slots.length === 0 &&
        (this.target.host !== leader.host || this.target.port !== leader.port))
    ) {
      // Watched keys and an open transaction live in the old upstream's session: running the
      // rest elsewhere would EXEC without the WATCH or queue nothing. Closed instead, as a Redis
      // failover closes the connection (the outcome is unknown to the client).
      if (this.holdsSessionState && this.target !== undefined)
        return this.fail('the leader changed; WATCH/MULTI state was on the old one');
      this.connect(leader);
    }
    const name = (argv[0] ?? '').toLowerCase();
    if (name === 'exec' && this.transactionRefused) {
      argv = ['DISCARD'];
      rewrite = () => EXEC_ABORTED;
    }
    if (name === 'multi') this.inTransaction = true;
    else if (name === 'watch') this.watching = true;
    else if (name === 'exec' || name === 'discard' || name === 'reset') {
      this.inTransaction = false;
      this.watching = false;
    } else if (name === 'unwatch' && !this.inTransaction) this.watching = false;
    if (name === 'multi' || !this.inTransaction) this.transactionRefused = false;
    if (name === 'monitor') this.rawPipe = true;
    this.send(argv, this.rawPipe ? undefined : { bytes: undefined, rewrite, discard });
  }

  /** Whether the upstream session holds state of this client (WATCH, MULTI). */
  get holdsSessionState(): boolean {
    return this.inTransaction || this.watching;
  }

  private send(argv: readonly string[], slot: Slot | undefined): void {
    if (slot !== undefined) {
      this.slots.push(slot);
      this.forwarded++;
    }
    this.upstream?.write(encodeCommand(argv));
  }

  /**
   * The node now knows `leader` (undefined: itself, or no leader). Commands pending at another
   * node may never be answered (an old leader cut off without a FIN keeps the connection open):
   * if they are still unanswered `graceMs` later (replies already on their way get through),
   * their outcome is unknown and the client's connection closes rather than wait forever.
   */
  leaderChanged(leader: UpstreamAddress | undefined, graceMs: number): void {
    const target = this.target;
    if (this.closed || target === undefined || this.answered === this.forwarded) return;
    if (leader !== undefined && leader.host === target.host && leader.port === target.port) return;
    const due = this.forwarded;
    setTimeout(() => {
      if (this.target === target && this.answered < due)
        this.fail('the leader changed with relayed commands unanswered');
    }, graceMs).unref();
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
      if (
        this.slots.some((slot) => slot.bytes === undefined) ||
        this.rawPipe ||
        this.holdsSessionState
      ) {
        this.fail('upstream connection to the leader lost');
      }
    });
    for (const argv of this.prelude.values()) this.send(argv, { bytes: undefined, discard: true });
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
      const reply = this.received.subarray(position, end);
      slot.bytes = slot.rewrite !== undefined ? slot.rewrite(reply) : reply;
      this.answered++;
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
      const slot = this.slots.shift() as Slot;
      if (slot.discard !== true) parts.push(slot.bytes as Buffer);
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
