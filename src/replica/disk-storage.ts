// Durable Raft storage over the persist FileSystem: hard state, entries and (later) snapshot
// metadata as CRC-framed records in segment files. Reads are served from an in-memory copy
// (MemoryStorage); every Ready's writes go to the current segment in one write and one fsync.
//
// Record payloads (append-only codes, pinned by test/replica/disk-storage.test.ts):
//   kind 1 Entry        = index:varint term:varint type:u8 length:varint data
//   kind 2 HardState    = term:varint vote:varint commit:varint
//   kind 3 SnapshotMeta = index:varint term:varint voterCount:varint voter* learnerCount:varint learner*
// An Entry record at index i replaces every entry >= i: a conflicting suffix is overwritten by
// appending, never by rewriting the file in place.

import { ByteReader, ByteWriter, DecodeError } from '../persist/codec.js';
import {
  FILE_HEADER_BYTES,
  beginFrame,
  checkFileHeader,
  endFrame,
  fileHeader,
  readRegion,
  scanFrames,
} from '../persist/framing.js';
import type { FileHandle, FileSystem } from '../persist/fs.js';
import { join } from '../persist/names.js';
import {
  EMPTY_HARD_STATE,
  type ConfState,
  type Entry,
  type EntryType,
  type HardState,
  type Snapshot,
} from '../raft/messages.js';
import {
  MemoryStorage,
  bootstrapStorage,
  type InitialState,
  type Storage,
} from '../raft/storage.js';

export const RAFT_LOG_MAGIC = 'SHOALRFT';

export const RaftRecordKind = {
  Entry: 1,
  HardState: 2,
  SnapshotMeta: 3,
} as const;

export class RaftStorageError extends Error {
  override name = 'RaftStorageError';
}

export interface RaftDiskOptions {
  fs: FileSystem;
  /** The directory holding this node's Raft files (created if missing). */
  dir: string;
  segmentBytesMax?: number;
}

/** What one Ready asks to persist. */
export interface PersistBatch {
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | null;
  readonly mustSync: boolean;
}

const SEGMENT_PATTERN = /^raft-(\d{20})\.log$/;

export function raftSegmentName(firstIndex: number): string {
  return `raft-${String(firstIndex).padStart(20, '0')}.log`;
}

export function encodeEntryRecord(out: ByteWriter, entry: Entry): void {
  out.u8(RaftRecordKind.Entry);
  out.varint(entry.index);
  out.varint(entry.term);
  out.u8(entry.type);
  out.varint(entry.data.byteLength);
  out.bytes(entry.data);
}

export function encodeHardStateRecord(out: ByteWriter, hardState: HardState): void {
  out.u8(RaftRecordKind.HardState);
  out.varint(hardState.term);
  out.varint(hardState.vote);
  out.varint(hardState.commit);
}

export type RaftRecord =
  | { kind: typeof RaftRecordKind.Entry; entry: Entry }
  | { kind: typeof RaftRecordKind.HardState; hardState: HardState }
  | {
      kind: typeof RaftRecordKind.SnapshotMeta;
      index: number;
      term: number;
      confState: ConfState;
    };

export function decodeRaftRecord(payload: Buffer): RaftRecord {
  const input = new ByteReader(payload);
  const kind = input.u8();
  let record: RaftRecord;
  if (kind === RaftRecordKind.Entry) {
    const index = input.varint();
    const term = input.varint();
    const type = input.u8();
    if (type !== 0 && type !== 1) throw new DecodeError(`unknown entry type ${type}`);
    const length = input.varint();
    if (input.offset + length > input.end) throw new DecodeError('record ends early');
    const data = new Uint8Array(payload.subarray(input.offset, input.offset + length));
    input.offset += length;
    record = { kind, entry: { index, term, type: type as EntryType, data } };
  } else if (kind === RaftRecordKind.HardState) {
    record = {
      kind,
      hardState: { term: input.varint(), vote: input.varint(), commit: input.varint() },
    };
  } else if (kind === RaftRecordKind.SnapshotMeta) {
    const index = input.varint();
    const term = input.varint();
    const voters: number[] = [];
    for (let count = input.varint(); count > 0; count--) voters.push(input.varint());
    const learners: number[] = [];
    for (let count = input.varint(); count > 0; count--) learners.push(input.varint());
    record = { kind, index, term, confState: { voters, learners } };
  } else throw new DecodeError(`unknown raft record kind ${kind}`);
  if (!input.done) throw new DecodeError('bytes left over after the record');
  return record;
}

/**
 * Raft storage on disk. Invariant: `memory` holds exactly what the segment files hold up to the
 * last completed persist() (what a restart would recover).
 */
export class RaftDiskStorage implements Storage {
  private readonly memory = new MemoryStorage();
  private handle: FileHandle | undefined;
  private segmentBytes = 0;
  private readonly writer = new ByteWriter(64 * 1024);
  private readonly segmentBytesMax: number;
  /** Set when a write failed: the node must stop (what is on disk is unknown). */
  failure: Error | undefined;

  private constructor(private readonly options: RaftDiskOptions) {
    this.segmentBytesMax = options.segmentBytesMax ?? 64 * 1024 * 1024;
  }

  /** Opens (recovering what is on disk) or creates the storage in `dir`. */
  static async open(options: RaftDiskOptions): Promise<RaftDiskStorage> {
    const storage = new RaftDiskStorage(options);
    await options.fs.mkdir(options.dir);
    await storage.recover();
    return storage;
  }

  /** True when nothing was ever persisted (a new node). */
  get isEmpty(): boolean {
    return this.memory.lastIndex() === 0 && this.memory.hardStateNow().term === 0;
  }

  /** Writes the initial configuration of a new group (see bootstrapStorage). */
  async bootstrap(confState: ConfState): Promise<void> {
    const scratch = new MemoryStorage();
    bootstrapStorage(scratch, confState);
    const entries = scratch.entries(1, scratch.lastIndex() + 1, Number.MAX_SAFE_INTEGER);
    await this.persist({
      hardState: scratch.hardStateNow(),
      entries,
      snapshot: null,
      mustSync: true,
    });
  }

  private async recover(): Promise<void> {
    const { fs, dir } = this.options;
    const names = (await fs.readdir(dir)).filter((name) => SEGMENT_PATTERN.test(name)).sort();
    let lastHandle: FileHandle | undefined;
    for (let i = 0; i < names.length; i++) {
      const path = join(dir, names[i] as string);
      const isLast = i === names.length - 1;
      const handle = await fs.open(path, isLast ? 'write' : 'read');
      const header = await readRegion(handle, 0, FILE_HEADER_BYTES);
      const headerProblem = checkFileHeader(header, RAFT_LOG_MAGIC);
      if (headerProblem !== undefined) {
        if (isLast && header.length < FILE_HEADER_BYTES) {
          // Created but its header never made it to disk: nothing was acknowledged from it.
          await handle.truncate(0);
          await handle.write([fileHeader(RAFT_LOG_MAGIC)], 0);
          await handle.datasync();
          lastHandle = handle;
          this.segmentBytes = FILE_HEADER_BYTES;
          continue;
        }
        await handle.close();
        throw new RaftStorageError(`${path}: ${headerProblem}`);
      }
      let decodeProblem: string | undefined;
      const scan = await scanFrames(handle, FILE_HEADER_BYTES, (payload) => {
        if (decodeProblem !== undefined) return;
        try {
          this.replay(decodeRaftRecord(payload));
        } catch (error) {
          decodeProblem = (error as Error).message;
        }
      });
      if (decodeProblem !== undefined) {
        await handle.close();
        throw new RaftStorageError(`${path}: undecodable record: ${decodeProblem}`);
      }
      if (scan.problem !== undefined) {
        if (!isLast || !scan.problem.pastEnd) {
          await handle.close();
          throw new RaftStorageError(
            `${path}: corrupt record at offset ${scan.problem.offset}: ${scan.problem.reason}; refusing to start`,
          );
        }
        // A torn tail: the write was cut by a crash before its fsync returned, so nothing in it
        // was acknowledged. Cut it off.
        await handle.truncate(scan.goodEnd);
        await handle.datasync();
      }
      if (isLast) {
        lastHandle = handle;
        this.segmentBytes = scan.goodEnd;
      } else await handle.close();
    }
    this.handle = lastHandle;
    const hard = this.memory.hardStateNow();
    if (hard.commit > this.memory.lastIndex()) {
      throw new RaftStorageError(
        `hard state commit ${hard.commit} is past the last entry ${this.memory.lastIndex()}; refusing to start`,
      );
    }
  }

  private replay(record: RaftRecord): void {
    if (record.kind === RaftRecordKind.Entry) {
      const entry = record.entry;
      if (entry.index > this.memory.lastIndex() + 1 || entry.index < this.memory.firstIndex()) {
        throw new DecodeError(`entry ${entry.index} does not follow ${this.memory.lastIndex()}`);
      }
      this.memory.append([entry]);
    } else if (record.kind === RaftRecordKind.HardState) {
      this.memory.setHardState(record.hardState);
    }
    // SnapshotMeta: reserved for log compaction (next slice).
  }

  /** Makes a Ready's hard state and entries durable (one write, one fsync when required). */
  async persist(batch: PersistBatch): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (batch.snapshot !== null) {
      throw new RaftStorageError('installing snapshots is not implemented yet');
    }
    if (batch.entries.length === 0 && batch.hardState === null) return;
    const out = this.writer;
    out.length = 0;
    for (const entry of batch.entries) {
      const at = beginFrame(out);
      encodeEntryRecord(out, entry);
      endFrame(out, at);
    }
    if (batch.hardState !== null) {
      const at = beginFrame(out);
      encodeHardStateRecord(out, batch.hardState);
      endFrame(out, at);
    }
    const bytes = out.take();
    try {
      const first = batch.entries[0];
      if (this.handle === undefined || this.segmentBytes >= this.segmentBytesMax) {
        await this.startSegment(first?.index ?? this.memory.lastIndex() + 1);
      }
      await (this.handle as FileHandle).write([bytes], this.segmentBytes);
      this.segmentBytes += bytes.length;
      // The commit index alone need not be synced: a lower commit after a crash is safe.
      if (batch.mustSync || batch.entries.length > 0) await (this.handle as FileHandle).datasync();
    } catch (error) {
      this.failure = error as Error;
      throw error;
    }
    this.memory.append(batch.entries);
    if (batch.hardState !== null) this.memory.setHardState(batch.hardState);
  }

  private async startSegment(firstIndex: number): Promise<void> {
    const { fs, dir } = this.options;
    if (this.handle !== undefined) {
      await this.handle.datasync();
      await this.handle.close();
    }
    const handle = await fs.open(join(dir, raftSegmentName(firstIndex)), 'create');
    await handle.write([fileHeader(RAFT_LOG_MAGIC)], 0);
    await handle.datasync();
    await fs.syncDirectory(dir);
    this.handle = handle;
    this.segmentBytes = FILE_HEADER_BYTES;
    // The next segment starts with the hard state, so no segment depends on an older one for it.
    const hard = this.memory.hardStateNow();
    if (hard !== EMPTY_HARD_STATE) {
      const out = new ByteWriter(64);
      const at = beginFrame(out);
      encodeHardStateRecord(out, hard);
      endFrame(out, at);
      const bytes = out.take();
      await handle.write([bytes], this.segmentBytes);
      this.segmentBytes += bytes.length;
    }
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined) await handle.close();
  }

  // Storage (read side), served from memory.

  initialState(): InitialState {
    return this.memory.initialState();
  }
  hardState(): HardState {
    return this.memory.hardStateNow();
  }
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    return this.memory.entries(lo, hi, maxBytes);
  }
  term(index: number): number | undefined {
    return this.memory.term(index);
  }
  firstIndex(): number {
    return this.memory.firstIndex();
  }
  lastIndex(): number {
    return this.memory.lastIndex();
  }
  snapshot(): Snapshot {
    return this.memory.snapshot();
  }
}
