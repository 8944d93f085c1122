// The binary encoding of Raft messages between nodes. Version 1; every field below is on the
// wire between nodes of different builds: append-only, never reorder (golden test in
// test/replica/wire.test.ts).
//
//   message   = version:u8(=1) type:u8 to from term logTerm index commit (varints)
//               reject:u8 rejectHint:varint entryCount:varint entry*
//               hasSnapshot:u8 [snapshotChunk] hasContext:u8 [length:varint bytes]
//   entry     = term:varint index:varint type:u8 length:varint bytes
//   snapshotChunk = index term voterCount voter* learnerCount learner* offset totalBytes (varints)
//                   length:varint bytes
//   hello     = magic "SHRH" version:u8(=1) nodeId:varint [groupId:8 bytes]
//               (first frame on a connection; the group id once the sender knows it)
//   probe     = magic "SHRP" version:u8(=1) nodeId:varint   (first and only frame; see below)
//   probeReply = magic "SHRQ" version:u8(=1) term:varint [groupId:8 bytes]
//               (the answer, with the answering node's group id once it knows one; then the link
//               closes. A reply without the id, from an older node, still decodes)
//   removed   = magic "SHRX" version:u8(=1) nodeId:varint   (to a removed node, on its link; then
//               the link closes: nodeId, the member that says so, applied that node's removal)
//
// Frames on the socket use the persist framing: [u32 length][u32 CRC32C][payload].

import { ByteReader, ByteWriter, DecodeError } from '../persist/codec.js';
import {
  makeMessage,
  type Entry,
  type EntryType,
  type Message,
  type MessageType,
  type SnapshotChunk,
} from '../raft/messages.js';
import { readConfState, writeConfState } from './conf-state-codec.js';

export const WIRE_VERSION = 1;
const HELLO_MAGIC = 'SHRH';
const PROBE_MAGIC = 'SHRP';
const PROBE_REPLY_MAGIC = 'SHRQ';
const REMOVED_MAGIC = 'SHRX';
/** The highest message type code this build knows. */
const MAX_MESSAGE_TYPE = 15;

function writeBytes(out: ByteWriter, data: Uint8Array): void {
  out.varint(data.byteLength);
  out.bytes(data);
}

function readBytes(input: ByteReader): Uint8Array {
  const length = input.varint();
  if (input.offset + length > input.end) throw new DecodeError('message ends early');
  const data = new Uint8Array(input.data.subarray(input.offset, input.offset + length));
  input.offset += length;
  return data;
}

export function encodeMessage(out: ByteWriter, message: Message): void {
  out.u8(WIRE_VERSION);
  out.u8(message.type);
  out.varint(message.to);
  out.varint(message.from);
  out.varint(message.term);
  out.varint(message.logTerm);
  out.varint(message.index);
  out.varint(message.commit);
  out.u8(message.reject ? 1 : 0);
  out.varint(message.rejectHint);
  out.varint(message.entries.length);
  for (const entry of message.entries) {
    out.varint(entry.term);
    out.varint(entry.index);
    out.u8(entry.type);
    writeBytes(out, entry.data);
  }
  const chunk = message.snapshot;
  out.u8(chunk === null ? 0 : 1);
  if (chunk !== null) {
    out.varint(chunk.metadata.index);
    out.varint(chunk.metadata.term);
    writeConfState(out, chunk.metadata.confState);
    out.varint(chunk.offset);
    out.varint(chunk.totalBytes);
    writeBytes(out, chunk.data);
  }
  out.u8(message.context === null ? 0 : 1);
  if (message.context !== null) writeBytes(out, message.context);
}

export function decodeMessage(payload: Buffer): Message {
  const input = new ByteReader(payload);
  const version = input.u8();
  if (version !== WIRE_VERSION) throw new DecodeError(`unknown wire version ${version}`);
  const type = input.u8();
  if (type < 1 || type > MAX_MESSAGE_TYPE) throw new DecodeError(`unknown message type ${type}`);
  const to = input.varint();
  const from = input.varint();
  const term = input.varint();
  const logTerm = input.varint();
  const index = input.varint();
  const commit = input.varint();
  const reject = input.u8() === 1;
  const rejectHint = input.varint();
  const entries: Entry[] = [];
  for (let count = input.varint(); count > 0; count--) {
    const entryTerm = input.varint();
    const entryIndex = input.varint();
    const entryType = input.u8();
    if (entryType > 1) throw new DecodeError(`unknown entry type ${entryType}`);
    entries.push({
      term: entryTerm,
      index: entryIndex,
      type: entryType as EntryType,
      data: readBytes(input),
    });
  }
  let snapshot: SnapshotChunk | null = null;
  if (input.u8() === 1) {
    const snapshotIndex = input.varint();
    const snapshotTerm = input.varint();
    const confState = readConfState(input);
    const offset = input.varint();
    const totalBytes = input.varint();
    snapshot = {
      metadata: { index: snapshotIndex, term: snapshotTerm, confState },
      offset,
      totalBytes,
      data: readBytes(input),
    };
  }
  const context = input.u8() === 1 ? readBytes(input) : null;
  if (!input.done) throw new DecodeError('bytes left over after the message');
  return makeMessage({
    type: type as MessageType,
    to,
    from,
    term,
    logTerm,
    index,
    commit,
    reject,
    rejectHint,
    entries,
    snapshot,
    context,
  });
}

/** A group's id: 8 random bytes its first leader chose, written as 16 hex digits. */
export const GROUP_ID_BYTES = 8;

export function isGroupId(text: string): boolean {
  return /^[0-9a-f]{16}$/.test(text);
}

export interface Hello {
  readonly nodeId: number;
  /** The sender's group, if it knows it yet (a node with an empty disk does not). */
  readonly groupId: string | undefined;
}

export function encodeHello(out: ByteWriter, nodeId: number, groupId?: string): void {
  encodeTagged(out, HELLO_MAGIC, nodeId);
  if (groupId !== undefined) out.bytes(Buffer.from(groupId, 'hex'));
}

export function decodeHello(payload: Buffer): Hello {
  const input = readTagged(payload, HELLO_MAGIC, 'not a Shoal raft connection (bad hello)');
  const nodeId = input.varint();
  return { nodeId, groupId: readOptionalGroupId(payload, input, HELLO_MAGIC) };
}

/** The group id that may end a frame (hello, probe reply): nothing, or exactly 8 bytes. */
function readOptionalGroupId(
  payload: Buffer,
  input: ByteReader,
  magic: string,
): string | undefined {
  if (input.done) return undefined;
  if (input.end - input.offset !== GROUP_ID_BYTES)
    throw new DecodeError(`bytes left over after the ${magic} frame`);
  return payload.toString('hex', input.offset, input.end);
}

/**
 * A bootstrap probe (bootstrap-probe.ts): a node with an empty disk asks a peer for its term
 * before it founds a group, on a connection of its own that carries nothing else.
 */
export function encodeProbe(out: ByteWriter, nodeId: number): void {
  encodeTagged(out, PROBE_MAGIC, nodeId);
}

export function isProbe(payload: Buffer): boolean {
  return payload.length >= 4 && payload.latin1Slice(0, 4) === PROBE_MAGIC;
}

/** A peer's answer to a bootstrap probe. */
export interface ProbeReply {
  readonly term: number;
  /** The answering node's group, if it knows one (an older node never says). */
  readonly groupId: string | undefined;
}

export function encodeProbeReply(out: ByteWriter, term: number, groupId?: string): void {
  encodeTagged(out, PROBE_REPLY_MAGIC, term);
  if (groupId !== undefined) out.bytes(Buffer.from(groupId, 'hex'));
}

export function decodeProbeReply(payload: Buffer): ProbeReply {
  const input = readTagged(payload, PROBE_REPLY_MAGIC, 'not a probe reply');
  const term = input.varint();
  return { term, groupId: readOptionalGroupId(payload, input, PROBE_REPLY_MAGIC) };
}

/**
 * Sent back on the connection of a node this member knows was removed from the group (ids are
 * never reused: RAFT ADD-NODE refuses a removed one), so that node stops, as etcd's does.
 */
export function encodeRemovedNotice(out: ByteWriter, byNodeId: number): void {
  encodeTagged(out, REMOVED_MAGIC, byNodeId);
}

/** The id of the member that sent a removed notice, or undefined if `payload` is not one. */
export function decodeRemovedNotice(payload: Buffer): number | undefined {
  if (payload.length < 4 || payload.latin1Slice(0, 4) !== REMOVED_MAGIC) return undefined;
  return decodeTagged(payload, REMOVED_MAGIC, 'not a removed notice');
}

function encodeTagged(out: ByteWriter, magic: string, value: number): void {
  out.bytes(Buffer.from(magic, 'latin1'));
  out.u8(WIRE_VERSION);
  out.varint(value);
}

/** A reader past the magic and the version of a tagged frame. */
function readTagged(payload: Buffer, magic: string, what: string): ByteReader {
  const input = new ByteReader(payload);
  if (payload.length < 5 || payload.latin1Slice(0, 4) !== magic) throw new DecodeError(what);
  input.offset = 4;
  const version = input.u8();
  if (version !== WIRE_VERSION) throw new DecodeError(`unknown wire version ${version}`);
  return input;
}

function decodeTagged(payload: Buffer, magic: string, what: string): number {
  const input = readTagged(payload, magic, what);
  const value = input.varint();
  if (!input.done) throw new DecodeError(`bytes left over after the ${magic} frame`);
  return value;
}
