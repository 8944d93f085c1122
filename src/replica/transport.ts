// TCP transport between the nodes of a group, on the raft port. One outgoing connection per
// peer (reconnecting with exponential backoff, a bounded send queue); incoming connections
// announce their sender with a hello frame, then carry CRC-framed messages (wire.ts).
// Raft tolerates lost messages, so a full queue or a broken connection drops messages.

import { createServer, connect, type Server, type Socket } from 'node:net';
import { ByteWriter } from '../persist/codec.js';
import { crc32c } from '../persist/crc32c.js';
import { FRAME_HEADER_BYTES, beginFrame, endFrame } from '../persist/framing.js';
import type { Message } from '../raft/messages.js';
import {
  decodeHello,
  decodeMessage,
  decodeRemovedNotice,
  encodeHello,
  encodeMessage,
  encodeProbeReply,
  encodeRemovedNotice,
  type Hello,
  isProbe,
} from './wire.js';

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface TransportOptions {
  nodeId: number;
  /**
   * Addresses to listen on (`--bind`, as the client port): an address starting with '-' is
   * skipped if it cannot be bound; at least one must be.
   */
  listenHosts: readonly string[];
  listenPort: number;
  peers: ReadonlyMap<number, PeerAddress>;
  onMessage: (message: Message) => void;
  /** This node's current term (0: none yet), the answer to a bootstrap probe (with groupId). */
  term: () => number;
  /** Whether `id` was removed from the group: its connections get a removed notice, then close. */
  isRemoved?: (id: number) => boolean;
  /** A member told this node it was removed from the group (see encodeRemovedNotice). */
  onRemovedNotice?: (byNodeId: number) => void;
  /**
   * This node's group id, once known: sent in every hello and probe reply, and a connection whose
   * hello names another group is refused (two groups whose ids and addresses overlap stay apart).
   */
  groupId?: () => string | undefined;
  /** Where what an operator must see goes (a connection from another group); default `log`. */
  warn?: (message: string) => void;
  log: (message: string) => void;
  /** Bound per peer: messages waiting while the socket will not take more. */
  sendQueueBytesMax?: number;
  frameBytesMax?: number;
  reconnectDelayMsMin?: number;
  reconnectDelayMsMax?: number;
}

/** Frames a peer sends back on our link are small notices (encodeRemovedNotice). */
const NOTICE_FRAME_BYTES_MAX = 1024;

const DEFAULTS = {
  sendQueueBytesMax: 64 * 1024 * 1024,
  frameBytesMax: 256 * 1024 * 1024,
  reconnectDelayMsMin: 50,
  reconnectDelayMsMax: 1000,
};

/** One CRC-framed payload, as written by `encode`. */
export function frame(out: ByteWriter, encode: (out: ByteWriter) => void): Buffer {
  const at = beginFrame(out);
  encode(out);
  endFrame(out, at);
  return out.take();
}

/** Splits CRC-framed payloads out of a byte stream. */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly frameBytesMax: number) {}

  /** Feeds bytes; calls `visit` per payload. Throws on a bad frame (the caller drops the link). */
  feed(chunk: Buffer, visit: (payload: Buffer) => void): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let position = 0;
    while (this.buffer.length - position >= FRAME_HEADER_BYTES) {
      const length = this.buffer.readUInt32LE(position);
      const crc = this.buffer.readUInt32LE(position + 4);
      if (length === 0 || length > this.frameBytesMax)
        throw new Error(`bad frame length ${length}`);
      const end = position + FRAME_HEADER_BYTES + length;
      if (end > this.buffer.length) break;
      const payload = this.buffer.subarray(position + FRAME_HEADER_BYTES, end);
      if (crc32c(payload) !== crc) throw new Error('frame checksum mismatch');
      visit(payload);
      position = end;
    }
    this.buffer = this.buffer.subarray(position);
  }
}

class PeerLink {
  private socket: Socket | undefined;
  private connected = false;
  private queuedBytes = 0;
  private queue: Buffer[] = [];
  /** The socket refused more (write returned false) and has not drained yet. */
  private blocked = false;
  private corked = false;
  private delayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  dropped = 0;

  constructor(
    readonly peerId: number,
    readonly address: PeerAddress,
    /** The hello frame to open a connection with (it carries the group id once known). */
    private readonly hello: () => Buffer,
    private readonly options: Required<
      Pick<TransportOptions, 'sendQueueBytesMax' | 'reconnectDelayMsMin' | 'reconnectDelayMsMax'>
    >,
    private readonly log: (message: string) => void,
    /** The peer said this node was removed from the group (the only frame a peer sends back). */
    private readonly onRemovedNotice: (byNodeId: number) => void,
  ) {
    this.delayMs = options.reconnectDelayMsMin;
  }

  send(frame: Buffer): void {
    if (this.closed) return;
    const socket = this.socket;
    if (this.connected && socket !== undefined && !this.blocked && this.queue.length === 0) {
      this.write(socket, frame);
      return;
    }
    if (this.queuedBytes + frame.length > this.options.sendQueueBytesMax) {
      this.dropped++;
      return;
    }
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    if (this.socket === undefined && this.timer === undefined) this.connect();
    else if (this.connected && !this.blocked) this.pump();
  }

  /**
   * Writes through a socket corked until the end of this turn of the event loop: the messages
   * of one Ready (an append per proposal, a response per append) leave in one system call
   * instead of one each. Blocked once the socket holds more than its high-water mark; 'drain'
   * unblocks, and until then frames wait in the bounded queue.
   */
  private write(socket: Socket, frame: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    if (!socket.write(frame)) this.blocked = true;
  }

  private pump(): void {
    const socket = this.socket;
    if (socket === undefined || !this.connected) return;
    while (this.queue.length > 0 && !this.blocked) {
      const frame = this.queue.shift() as Buffer;
      this.queuedBytes -= frame.length;
      this.write(socket, frame);
    }
  }

  connect(): void {
    if (this.closed || this.socket !== undefined) return;
    this.timer = undefined;
    const socket = connect({ host: this.address.host, port: this.address.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.connected = true;
      this.delayMs = this.options.reconnectDelayMsMin;
      socket.write(this.hello());
      this.pump();
    });
    socket.on('drain', () => {
      this.blocked = false;
      this.pump();
    });
    const reader = new FrameReader(NOTICE_FRAME_BYTES_MAX);
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.feed(chunk, (payload) => {
          const by = decodeRemovedNotice(payload);
          if (by !== undefined && by === this.peerId) this.onRemovedNotice(by);
        });
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.connected) this.log(`raft link to node ${this.peerId} closed`);
      this.connected = false;
      this.blocked = false;
      this.socket = undefined;
      // Messages queued for a dead link are stale by the time it comes back: Raft resends.
      this.queue = [];
      this.queuedBytes = 0;
      if (this.closed) return;
      this.timer = setTimeout(() => this.connect(), this.delayMs);
      this.timer.unref();
      this.delayMs = Math.min(this.delayMs * 2, this.options.reconnectDelayMsMax);
    });
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.socket?.destroy();
  }
}

export class Transport {
  private readonly servers: Server[] = [];
  private readonly links = new Map<number, PeerLink>();
  private readonly inbound = new Set<Socket>();
  private readonly writer = new ByteWriter(64 * 1024);
  private readonly options: TransportOptions & typeof DEFAULTS;
  private hello: { groupId: string | undefined; frame: Buffer } | undefined;
  /** Senders from another group already logged (node id and group), to log each once. */
  private readonly strangersLogged = new Set<string>();
  private listening = false;

  constructor(options: TransportOptions) {
    this.options = { ...DEFAULTS, ...options };
    for (const [id, address] of options.peers) {
      if (id !== options.nodeId) this.links.set(id, this.newLink(id, address));
    }
  }

  private newLink(id: number, address: PeerAddress): PeerLink {
    const { log, onRemovedNotice } = this.options;
    return new PeerLink(
      id,
      address,
      () => this.helloFrame(),
      this.options,
      log,
      (by) => onRemovedNotice?.(by),
    );
  }

  private helloFrame(): Buffer {
    const groupId = this.options.groupId?.();
    if (this.hello === undefined || this.hello.groupId !== groupId) {
      const { nodeId } = this.options;
      this.hello = {
        groupId,
        frame: frame(new ByteWriter(64), (out) => encodeHello(out, nodeId, groupId)),
      };
    }
    return this.hello.frame;
  }

  /** A member added (RAFT ADD-NODE) or moved: connect to it (again) at `address`. */
  addPeer(id: number, address: PeerAddress): void {
    if (id === this.options.nodeId) return;
    const old = this.links.get(id);
    if (old !== undefined) {
      if (old.address.host === address.host && old.address.port === address.port) return;
      old.close();
    }
    const link = this.newLink(id, address);
    this.links.set(id, link);
    if (this.listening) link.connect();
  }

  async listen(): Promise<void> {
    for (const address of this.options.listenHosts) {
      const optional = address.startsWith('-');
      const server = createServer((socket) => this.accept(socket));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(this.options.listenPort, optional ? address.slice(1) : address, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        if (!optional) throw error;
        this.options.log(`raft port: skipping bind address ${address}: ${String(error)}`);
        continue;
      }
      this.servers.push(server);
    }
    if (this.servers.length === 0) throw new Error('raft port: no bind address could be bound');
    this.listening = true;
    for (const link of this.links.values()) link.connect();
  }

  private accept(socket: Socket): void {
    this.inbound.add(socket);
    socket.setNoDelay(true);
    const reader = new FrameReader(this.options.frameBytesMax);
    let peerId = 0;
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.feed(chunk, (payload) => {
          if (peerId === 0) {
            if (isProbe(payload)) {
              const { term, groupId } = this.options;
              socket.end(frame(this.writer, (out) => encodeProbeReply(out, term(), groupId?.())));
              peerId = -1; // nothing else is taken from a probe's connection
              return;
            }
            const hello = decodeHello(payload);
            peerId = hello.nodeId;
            if (this.refuseStranger(socket, hello) || this.refuseRemoved(socket, peerId))
              peerId = -1;
            return;
          }
          // (Also here: a connection opened before this node applied the sender's removal.)
          if (this.refuseRemoved(socket, peerId)) {
            peerId = -1;
            return;
          }
          const message = decodeMessage(payload);
          if (message.from !== peerId || message.to !== this.options.nodeId) return;
          this.options.onMessage(message);
        });
      } catch (error) {
        this.options.log(
          `dropping raft connection from node ${peerId}: ${(error as Error).message}`,
        );
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.inbound.delete(socket));
  }

  /** Closes a connection from a node of another group; true if it was one. */
  private refuseStranger(socket: Socket, hello: Hello): boolean {
    const own = this.options.groupId?.();
    if (hello.groupId === undefined || own === undefined || hello.groupId === own) return false;
    const key = `${hello.nodeId}/${hello.groupId}`;
    if (!this.strangersLogged.has(key)) {
      this.strangersLogged.add(key);
      (this.options.warn ?? this.options.log)(
        `refusing raft connections from node ${hello.nodeId} of group ${hello.groupId}: this node is in group ${own} (check --peers)`,
      );
    }
    socket.destroy();
    return true;
  }

  /** Tells a removed node so on its connection, and closes it; true if it was one. */
  private refuseRemoved(socket: Socket, peerId: number): boolean {
    if (peerId <= 0 || this.options.isRemoved?.(peerId) !== true) return false;
    socket.end(frame(this.writer, (out) => encodeRemovedNotice(out, this.options.nodeId)));
    return true;
  }

  send(message: Message): void {
    const link = this.links.get(message.to);
    if (link === undefined) return;
    link.send(frame(this.writer, (out) => encodeMessage(out, message)));
  }

  async close(): Promise<void> {
    for (const link of this.links.values()) link.close();
    for (const socket of this.inbound) socket.destroy();
    await Promise.all(
      this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }
}
