// A Raft snapshot file (raft/snapshot-<index>.snap), which is also the `data` of the core's
// Snapshot sent to followers in chunks: a file header, one CRC-framed metadata record, then an
// engine snapshot in the persist format (persist/snapshot.ts, its own frames and file checksum).
//
//   header  = fileHeader('SHOALRSN')
//   meta    = frame(kind:u8=1 index:varint term:varint voterCount:varint voter*
//                   learnerCount:varint learner* peersLength:varint peers:latin1
//                   [removedCount:varint removed* [groupId:8 bytes]])
//   engine  = a persist snapshot whose sequence is `index`
//
// `peers` is the address table (`id=host:clientport@raftport,...`): peer entries compacted
// away must survive in the snapshot, and so must the ids of removed members (they are never
// reused; the field is written only when there are some, so files without it are unchanged).
// Append-only codes; pinned by test/replica/snapshot.test.ts.

import { ByteReader, ByteWriter, DecodeError } from '../persist/codec.js';
import {
  beginFrame,
  checkFileHeader,
  endFrame,
  FILE_HEADER_BYTES,
  fileHeader,
} from '../persist/framing.js';
import {
  bufferSource,
  type ByteSource,
  FrameCursor,
  type SnapshotBytesCheck,
  SnapshotReader,
  verifySnapshotSource,
} from '../persist/snapshot-bytes.js';
import type { ConfState } from '../raft/messages.js';
import { readConfState, writeConfState } from './conf-state-codec.js';
import { GROUP_ID_BYTES } from './wire.js';

export const RAFT_SNAPSHOT_MAGIC = 'SHOALRSN';
const META_KIND = 1;

export interface RaftSnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
  /** `id=host:clientport@raftport,...` of every member known at `index`. */
  readonly peers: string;
  /** Ids removed from the group up to `index` (ascending). */
  readonly removed: readonly number[];
  /** The group's id, if chosen by `index` (see node.ts, "group id"). */
  readonly groupId?: string | undefined;
}

export interface ParsedSnapshotFile {
  readonly meta: RaftSnapshotMeta;
  /** Where the engine snapshot starts. */
  readonly engineStart: number;
  readonly databaseCount: number;
  /**
   * From the trailer; undefined when only the engine snapshot's header was read (a node's own
   * file at start: the rest is verified while it is loaded, so the file is read once).
   */
  readonly keyCount: number | undefined;
}

/** How much of the engine snapshot parseSnapshotSource verifies: all of it, or its header. */
export type EngineCheck = 'whole' | 'header';

/** The header and metadata frame that go before the engine snapshot. */
export function encodeSnapshotPrefix(meta: RaftSnapshotMeta): Buffer {
  const out = new ByteWriter(256);
  out.bytes(fileHeader(RAFT_SNAPSHOT_MAGIC));
  const at = beginFrame(out);
  out.u8(META_KIND);
  out.varint(meta.index);
  out.varint(meta.term);
  writeConfState(out, meta.confState);
  const peers = Buffer.from(meta.peers, 'latin1');
  out.varint(peers.length);
  out.bytes(peers);
  // Optional tail fields, each written only when it or a later one has something to say, so
  // files of nodes that had none are unchanged.
  if (meta.removed.length > 0 || meta.groupId !== undefined) {
    out.varint(meta.removed.length);
    for (const id of meta.removed) out.varint(id);
  }
  if (meta.groupId !== undefined) out.bytes(Buffer.from(meta.groupId, 'hex'));
  endFrame(out, at);
  return out.take();
}

/** Verifies a whole snapshot file (every checksum); a string says what is wrong. */
export function parseSnapshotFile(data: Buffer): ParsedSnapshotFile | string {
  return parseSnapshotSource(bufferSource(data));
}

/**
 * The same, from a source: a file is read a window at a time, never whole. With `engine`
 * 'header', only the metadata and the engine snapshot's header record are read and checked.
 */
export function parseSnapshotSource(
  source: ByteSource,
  engine: EngineCheck = 'whole',
): ParsedSnapshotFile | string {
  const headerProblem = checkFileHeader(source.read(0, FILE_HEADER_BYTES), RAFT_SNAPSHOT_MAGIC);
  if (headerProblem !== undefined) return headerProblem;
  let meta: RaftSnapshotMeta;
  let end: number;
  try {
    const cursor = new FrameCursor(source, FILE_HEADER_BYTES);
    if (cursor.done) throw new DecodeError('metadata record cut short');
    const { payload } = cursor.next();
    end = cursor.at;
    const input = new ByteReader(payload, 0, payload.length);
    if (input.u8() !== META_KIND) throw new DecodeError('not a snapshot metadata record');
    const index = input.varint();
    const term = input.varint();
    const confState = readConfState(input);
    const peersLength = input.varint();
    if (input.offset + peersLength > payload.length)
      throw new DecodeError('peers run past the record');
    const peers = payload.latin1Slice(input.offset, input.offset + peersLength);
    input.offset += peersLength;
    const removed: number[] = [];
    if (!input.done) {
      const count = input.varint();
      for (let i = 0; i < count; i++) removed.push(input.varint());
    }
    let groupId: string | undefined;
    if (!input.done) {
      if (input.end - input.offset !== GROUP_ID_BYTES)
        throw new DecodeError('bytes left over after the metadata record');
      groupId = payload.toString('hex', input.offset, input.end);
      input.offset = input.end;
    }
    meta = {
      index,
      term,
      confState,
      peers,
      removed,
      ...(groupId !== undefined ? { groupId } : {}),
    };
  } catch (error) {
    if (error instanceof DecodeError) return error.message;
    throw error;
  }
  let check: SnapshotBytesCheck | string;
  if (engine === 'whole') check = verifySnapshotSource(source, end);
  else {
    const reader = new SnapshotReader(source, end);
    reader.step(() => true);
    check = reader.header ?? reader.result;
  }
  if (typeof check === 'string') return `engine snapshot: ${check}`;
  if (check.sequence !== meta.index)
    return `engine snapshot is at ${check.sequence}, its metadata says ${meta.index}`;
  return {
    meta,
    engineStart: end,
    databaseCount: check.databaseCount,
    keyCount: engine === 'whole' ? check.keyCount : undefined,
  };
}
