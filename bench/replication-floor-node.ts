// One process of the replication floor (see replication-floor.ts): the least a 3-node group in
// Node must do for a SET, and nothing more. The leader counts the commands it reads (a RESP
// scanner, no parsing into strings, no engine), gathers each event-loop turn's into one batch,
// sends the batch to both followers and writes it to its own preallocated file; every node
// fdatasyncs each batch as it comes (several in flight, none waiting for another), a follower
// acknowledges the highest batch it holds durably, and the leader replies `+OK` once a majority
// (itself included or not) holds a batch durably. No Raft, no terms, no recovery: it measures
// the I/O pattern, never a store.
//
//   node dist/bench/replication-floor-node.js follower <raft port> <dir>
//   node dist/bench/replication-floor-node.js leader <client port> <dir> <follower port>...

import { closeSync, fdatasync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';

const FILE_BYTES = 64 * 1024 * 1024;
const HEADER_BYTES = 8; // batch bytes (u32), batch id (u32)

/** A preallocated file written round and round: an fdatasync never changes its size. */
class BatchFile {
  private readonly fd: number;
  private position = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
    const zeros = Buffer.alloc(1024 * 1024);
    for (let at = 0; at < FILE_BYTES; at += zeros.length)
      writeSync(this.fd, zeros, 0, zeros.length, at);
    fdatasyncSync(this.fd); // the zeros' writeback is done before any batch is timed
  }

  /** Writes at once (into the page cache); calls `durable` when an fdatasync after it returns. */
  append(bytes: Buffer, durable: () => void): void {
    if (this.position + bytes.length > FILE_BYTES) this.position = 0;
    writeSync(this.fd, bytes, 0, bytes.length, this.position);
    this.position += bytes.length;
    fdatasync(this.fd, (error) => {
      if (error !== null) throw error;
      durable();
    });
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Counts whole RESP multibulk commands in a stream, across chunk boundaries, and tells a PING
 * apart (answered at once, so that the driver can wait for the leader to listen).
 */
class CommandCounter {
  private state: 'start' | 'count' | 'header' | 'bulk' = 'start';
  private number = 0;
  private argsLeft = 0;
  private bulkLeft = 0;
  private firstArg = true;
  private isPing = false;

  /** Returns the number of complete non-PING commands in `chunk`, and of PINGs. */
  feed(chunk: Buffer): { writes: number; pings: number } {
    let writes = 0;
    let pings = 0;
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'bulk') {
        if (this.firstArg && this.bulkLeft > 2) this.isPing = chunk[i] === 80 || chunk[i] === 112;
        this.firstArg = false;
        const take = Math.min(this.bulkLeft, chunk.length - i);
        this.bulkLeft -= take;
        i += take;
        if (this.bulkLeft === 0 && --this.argsLeft === 0) {
          if (this.isPing) pings++;
          else writes++;
          this.state = 'start';
        } else if (this.bulkLeft === 0) this.state = 'header';
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.state === 'start') {
        if (byte !== 42) throw new Error('replication floor: only multibulk commands');
        this.state = 'count';
        this.number = 0;
        this.firstArg = true;
        this.isPing = false;
      } else if (byte === 36) {
        this.number = 0; // '$' of a bulk header
      } else if (byte === 10) {
        if (this.state === 'count') {
          this.argsLeft = this.number;
          this.state = 'header';
        } else {
          this.bulkLeft = this.number + 2;
          this.state = 'bulk';
        }
      } else if (byte >= 48 && byte <= 57) this.number = this.number * 10 + byte - 48;
    }
    return { writes, pings };
  }
}

function follower(port: number, dir: string): void {
  const file = new BatchFile(join(dir, `follower-${port}`));
  createServer((socket) => {
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= HEADER_BYTES) {
        const bytes = pending.readUInt32LE(0);
        if (pending.length < HEADER_BYTES + bytes) break;
        const id = pending.readUInt32LE(4);
        const batch = pending.subarray(0, HEADER_BYTES + bytes);
        pending = pending.subarray(HEADER_BYTES + bytes);
        file.append(batch, () => {
          const ack = Buffer.allocUnsafe(4);
          ack.writeUInt32LE(id);
          socket.write(ack);
        });
      }
    });
    socket.on('error', () => socket.destroy());
  }).listen(port, '127.0.0.1');
  process.once('SIGTERM', () => {
    file.close();
    process.exit(0);
  });
}

interface Batch {
  readonly id: number;
  readonly chunks: Buffer[];
  /** Commands per client socket, in the order the sockets first wrote in this batch. */
  readonly replies: Map<Socket, number>;
}

function leader(port: number, dir: string, followerPorts: number[]): void {
  const file = new BatchFile(join(dir, `leader-${port}`));
  const OK = Buffer.from('+OK\r\n');
  // The highest batch each holds durably: [leader, follower 1, follower 2].
  const durable = [0, 0, 0];
  const waiting: Batch[] = [];
  let open: Batch | undefined;
  let nextId = 1;

  const release = (): void => {
    const committed = [...durable].sort((a, b) => b - a)[1] as number; // a majority of 3
    while (waiting.length > 0 && (waiting[0] as Batch).id <= committed) {
      const batch = waiting.shift() as Batch;
      for (const [socket, count] of batch.replies)
        socket.write(count === 1 ? OK : Buffer.alloc(OK.length * count, OK));
    }
  };
  const links = followerPorts.map((followerPort, at) => {
    const link = connect(followerPort, '127.0.0.1');
    link.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    link.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        durable[at + 1] = Math.max(durable[at + 1] as number, pending.readUInt32LE(0));
        pending = pending.subarray(4);
      }
      release();
    });
    return link;
  });
  const propose = (): void => {
    const batch = open as Batch;
    open = undefined;
    // One copy of the batch, framed, for both followers and the file.
    const framed = Buffer.concat([Buffer.allocUnsafe(HEADER_BYTES), ...batch.chunks]);
    framed.writeUInt32LE(framed.length - HEADER_BYTES, 0);
    framed.writeUInt32LE(batch.id, 4);
    waiting.push(batch);
    for (const link of links) link.write(framed);
    file.append(framed, () => {
      durable[0] = Math.max(durable[0] as number, batch.id);
      release();
    });
  };
  createServer((socket) => {
    socket.setNoDelay(true);
    const counter = new CommandCounter();
    socket.on('data', (chunk: Buffer) => {
      const { writes, pings } = counter.feed(chunk);
      for (let i = 0; i < pings; i++) socket.write('+PONG\r\n');
      if (writes === 0) return;
      if (open === undefined) {
        open = { id: nextId++, chunks: [], replies: new Map() };
        setImmediate(propose);
      }
      open.chunks.push(chunk);
      open.replies.set(socket, (open.replies.get(socket) ?? 0) + writes);
    });
    socket.on('error', () => socket.destroy());
  }).listen(port, '127.0.0.1');
  process.once('SIGTERM', () => {
    file.close();
    process.exit(0);
  });
}

const [role, port, dir, ...rest] = process.argv.slice(2);
if (role === 'follower') follower(Number(port), dir as string);
else if (role === 'leader') leader(Number(port), dir as string, rest.map(Number));
else
  throw new Error('usage: replication-floor-node.js follower|leader <port> <dir> [follower ports]');
