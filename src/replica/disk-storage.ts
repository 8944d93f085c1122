// Durable Raft storage over the persist FileSystem: hard state, entries and snapshot metadata as
// CRC-framed records in segment files, snapshots as files beside them (snapshot-file.ts). Reads
// are served from an in-memory copy (MemoryStorage); every Ready's writes go to the current
// segment in one write and one fsync.
//
// Record payloads (append-only codes, pinned by test/replica/disk-storage.test.ts):
//   kind 1 Entry        = index:varint term:varint type:u8 length:varint data
//   kind 2 HardState    = term:varint vote:varint commit:varint
//   kind 3 SnapshotMeta = index:varint term:varint voterCount:varint voter* learnerCount:varint
//                         learner* compactIndex:varint compactTerm:varint replacesLog:u8
// An Entry record at index i replaces every entry >= i: a conflicting suffix is overwritten by
// appending, never by rewriting the file in place. A SnapshotMeta record says: the snapshot file
// of `index` is durable, and entries up to `compactIndex` are gone (their segments may be
// deleted). `replacesLog` (a snapshot received from the leader) also discards every entry after
// `index`. Each new segment starts with the latest SnapshotMeta and hard state.
//
// Segments are preallocated once the node is busy (persist/spare-segment.ts): zeros after the
// last record are unwritten space, which ends a segment's data cleanly; the node goes on
// writing over them after a restart.

import { ByteReader, ByteWriter, DecodeError } from '../persist/codec.js';
import {
  FILE_HEADER_BYTES,
  beginFrame,
  checkFileHeader,
  endFrame,
  type FrameProblem,
  fileHeader,
  readRegion,
  scanFrames,
  UNWRITTEN,
  writtenEnd,
} from '../persist/framing.js';
import { SEGMENT_BYTES_DEFAULT, segmentFull, SpareSegment } from '../persist/spare-segment.js';
import type { FileHandle, FileSystem } from '../persist/fs.js';
import type { ByteSource } from '../persist/snapshot-bytes.js';
import { classify, join, snapshotName, TEMPORARY_SUFFIX } from '../persist/names.js';
import {
  EMPTY_HARD_STATE,
  type ConfState,
  type Entry,
  type EntryType,
  type HardState,
  snapshotSource,
  type Snapshot,
  type SnapshotMetadata,
  type SnapshotSource,
} from '../raft/messages.js';
import {
  MemoryStorage,
  bootstrapStorage,
  type InitialState,
  type SnapshotReceiver,
  type Storage,
} from '../raft/storage.js';
import {
  parseSnapshotFile,
  parseSnapshotSource,
  type ParsedSnapshotFile,
} from './snapshot-file.js';
import { readConfState, writeConfState } from './conf-state-codec.js';
import { isGroupId } from './wire.js';
import { assert } from '../engine/assert.js';

export const RAFT_LOG_MAGIC = 'SHOALRFT';
/** The spare segment's name (persist/spare-segment.ts): not a segment's name. */
const SPARE_NAME = 'raft-log.spare';
/** The group's id (16 hex digits and a newline), written once the node learns it. */
const GROUP_ID_FILE = 'group-id';
/**
 * The id a new node's founders named when it joined their group (node.ts, learnGroupId): the id
 * it learns must be this one, after a restart too. Same format.
 */
const EXPECTED_GROUP_ID_FILE = 'expected-group-id';

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
  /** `shoal check`: change nothing on disk (a torn tail is reported in `notes`, not cut off). */
  readOnly?: boolean;
  /** Where a failure to prepare a segment ahead of time is told (it is not an error). */
  log?: (message: string) => void;
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

export interface SnapshotMetaRecord {
  index: number;
  term: number;
  confState: ConfState;
  /** Entries up to here are discarded (compactIndex <= index). */
  compactIndex: number;
  compactTerm: number;
  /** A received snapshot: entries after `index` are discarded too. */
  replacesLog: boolean;
}

export function encodeSnapshotMetaRecord(out: ByteWriter, meta: SnapshotMetaRecord): void {
  out.u8(RaftRecordKind.SnapshotMeta);
  out.varint(meta.index);
  out.varint(meta.term);
  writeConfState(out, meta.confState);
  out.varint(meta.compactIndex);
  out.varint(meta.compactTerm);
  out.u8(meta.replacesLog ? 1 : 0);
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
  | { kind: typeof RaftRecordKind.SnapshotMeta; meta: SnapshotMetaRecord };

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
    const confState = readConfState(input);
    const compactIndex = input.varint();
    const compactTerm = input.varint();
    const replacesLog = input.u8();
    if (replacesLog > 1 || compactIndex > index)
      throw new DecodeError('bad snapshot metadata record');
    const meta: SnapshotMetaRecord = {
      index,
      term,
      confState,
      compactIndex,
      compactTerm,
      replacesLog: replacesLog === 1,
    };
    record = { kind, meta };
  } else throw new DecodeError(`unknown raft record kind ${kind}`);
  if (!input.done) throw new DecodeError('bytes left over after the record');
  return record;
}

/** A snapshot file to load (a window at a time), as the storage knows it. */
export interface SnapshotFile {
  readonly path: string;
  readonly source: ByteSource;
  readonly parsed: ParsedSnapshotFile;
}

/**
 * Raft storage on disk. Invariant: `memory` holds exactly what the segment files (and the
 * snapshot file they name) hold up to the last completed write (what a restart would recover).
 */
export class RaftDiskStorage implements Storage {
  private memory = new MemoryStorage();
  private handle: FileHandle | undefined;
  private segmentBytes = 0;
  /** First index (from the name) of every segment file, oldest first; the last is written. */
  private segments: number[] = [];
  private readonly writer = new ByteWriter(64 * 1024);
  private readonly segmentBytesMax: number;
  /** The latest snapshot's record and file (undefined: no snapshot yet). */
  private snapshotRecord: SnapshotMetaRecord | undefined;
  private parsedSnapshot: ParsedSnapshotFile | undefined;
  /** A snapshot being received into its own file (receiveSnapshot), and transfers so far. */
  private receiving: Receiving | undefined;
  private transfers = 0;
  /** Set when a write failed: the node must stop (what is on disk is unknown). */
  failure: Error | undefined;
  /** What recovery repaired (or, read-only, would repair). */
  readonly notes: string[] = [];

  private knownGroupId: string | undefined;
  private knownExpectedGroupId: string | undefined;
  private readonly spare: SpareSegment;
  /** The current segment's file size when zeros follow `segmentBytes` (preallocated), else 0. */
  private preallocatedBytes = 0;

  private constructor(private readonly options: RaftDiskOptions) {
    this.segmentBytesMax = options.segmentBytesMax ?? SEGMENT_BYTES_DEFAULT;
    this.spare = new SpareSegment({
      fs: options.fs,
      dir: options.dir,
      name: SPARE_NAME,
      maxBytes: this.segmentBytesMax,
      header: fileHeader(RAFT_LOG_MAGIC),
      log: options.log ?? (() => undefined),
    });
  }

  /** Opens (recovering what is on disk) or creates the storage in `dir`. */
  static async open(options: RaftDiskOptions): Promise<RaftDiskStorage> {
    const storage = new RaftDiskStorage(options);
    if (options.readOnly !== true) await options.fs.mkdir(options.dir);
    await storage.recover();
    if (options.readOnly !== true) {
      await storage.spare.adopt();
      storage.spare.consider(storage.segmentBytes, storage.preallocatedBytes);
    }
    return storage;
  }

  /** The group's id once this node learned it (the file `group-id`; see node.ts). */
  get groupId(): string | undefined {
    return this.knownGroupId;
  }

  /** The id this node's founders named when it joined (`expected-group-id`), if they did. */
  get expectedGroupId(): string | undefined {
    return this.knownExpectedGroupId;
  }

  /** Records the group's id, durably, before the node relies on it. */
  async recordGroupId(groupId: string): Promise<void> {
    assert(this.knownGroupId === undefined, 'a group id is recorded once');
    await this.writeGroupIdFile(GROUP_ID_FILE, groupId);
    this.knownGroupId = groupId;
  }

  /** Records the id a joining node's founders named, durably, before the node relies on it. */
  async recordExpectedGroupId(groupId: string): Promise<void> {
    await this.writeGroupIdFile(EXPECTED_GROUP_ID_FILE, groupId);
    this.knownExpectedGroupId = groupId;
  }

  private async writeGroupIdFile(name: string, groupId: string): Promise<void> {
    assert(isGroupId(groupId), 'a group id is 16 hex digits');
    const { fs, dir } = this.options;
    const final = join(dir, name);
    const temporary = final + TEMPORARY_SUFFIX;
    const handle = await fs.open(temporary, 'create');
    try {
      await handle.write([Buffer.from(`${groupId}\n`, 'latin1')], 0);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, final);
    await fs.syncDirectory(dir);
  }

  /** A group id file's id (undefined if there is none). */
  private readGroupIdFile(listing: readonly string[], name: string): string | undefined {
    if (!listing.includes(name)) return undefined;
    const path = join(this.options.dir, name);
    const text = this.options.fs.readFile(path).toString('latin1').trim();
    if (!isGroupId(text))
      throw new RaftStorageError(`${path}: not a group id (${JSON.stringify(text.slice(0, 40))})`);
    return text;
  }

  /** True when nothing was ever persisted (a new node). */
  get isEmpty(): boolean {
    return (
      this.memory.lastIndex() === 0 &&
      this.memory.hardStateNow().term === 0 &&
      this.snapshotRecord === undefined
    );
  }

  /** The latest snapshot's index (0: none). */
  get snapshotIndex(): number {
    return this.snapshotRecord?.index ?? 0;
  }

  /**
   * The latest snapshot file, to load a window at a time (start, an install, a leadership-loss
   * rebuild), with where its engine snapshot starts: never read whole.
   */
  get snapshotFile(): SnapshotFile | undefined {
    const parsed = this.parsedSnapshot;
    if (parsed === undefined) return undefined;
    const { fs, dir } = this.options;
    const path = join(dir, snapshotName(parsed.meta.index));
    return { path, source: fileSource(fs, path), parsed };
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
    const readOnly = this.options.readOnly === true;
    const listing = await fs.readdir(dir);
    for (const name of listing.filter((n) => n.endsWith(TEMPORARY_SUFFIX))) {
      // A snapshot, group id or spare segment whose write was interrupted: never named.
      this.notes.push(`${join(dir, name)}: left by an interrupted write (removed at start)`);
      if (!readOnly) await fs.unlink(join(dir, name));
    }
    this.knownGroupId = this.readGroupIdFile(listing, GROUP_ID_FILE);
    this.knownExpectedGroupId = this.readGroupIdFile(listing, EXPECTED_GROUP_ID_FILE);
    const names = listing.filter((name) => SEGMENT_PATTERN.test(name)).sort();
    const records: { record: RaftRecord; path: string }[] = [];
    let lastHandle: FileHandle | undefined;
    for (let i = 0; i < names.length; i++) {
      const path = join(dir, names[i] as string);
      this.segments.push(Number(SEGMENT_PATTERN.exec(names[i] as string)?.[1]));
      const isLast = i === names.length - 1;
      const handle = await fs.open(path, isLast && !readOnly ? 'write' : 'read');
      const header = await readRegion(handle, 0, FILE_HEADER_BYTES);
      const headerProblem = checkFileHeader(header, RAFT_LOG_MAGIC);
      if (headerProblem !== undefined) {
        if (isLast && header.length < FILE_HEADER_BYTES) {
          // Created but its header never made it to disk: nothing was acknowledged from it.
          this.notes.push(`${path}: header cut short by a crash (rewritten at start)`);
          if (readOnly) {
            await handle.close();
            continue;
          }
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
          records.push({ record: decodeRaftRecord(payload), path });
        } catch (error) {
          decodeProblem = (error as Error).message;
        }
      });
      if (decodeProblem !== undefined) {
        await handle.close();
        throw new RaftStorageError(`${path}: undecodable record: ${decodeProblem}`);
      }
      const unwrittenFrom = await this.unwrittenSpace(handle, scan.problem);
      if (unwrittenFrom !== undefined) {
        // The end of a preallocated segment's data: the rest was never written. The last
        // segment goes on being written there.
        if (isLast && !readOnly) this.preallocatedBytes = scan.fileBytes;
      } else if (scan.problem !== undefined) {
        if (!isLast || !(scan.problem.pastEnd || scan.problem.unwritten)) {
          await handle.close();
          throw new RaftStorageError(
            `${path}: corrupt record at offset ${scan.problem.offset}: ${scan.problem.reason}; refusing to start`,
          );
        }
        // A torn tail: the write was cut by a crash before its fsync returned, so nothing in it
        // was acknowledged. Cut it off.
        this.notes.push(
          `${path}: torn tail at offset ${scan.problem.offset} (${scan.problem.reason}; cut off at start)`,
        );
        if (!readOnly) {
          await handle.truncate(scan.goodEnd);
          await handle.datasync();
        }
      }
      if (isLast && !readOnly) {
        lastHandle = handle;
        this.segmentBytes = scan.goodEnd;
      } else await handle.close();
    }
    this.handle = lastHandle;
    await this.replayAll(records);
    const hard = this.memory.hardStateNow();
    if (hard.commit > this.memory.lastIndex()) {
      throw new RaftStorageError(
        `hard state commit ${hard.commit} is past the last entry ${this.memory.lastIndex()}; refusing to start`,
      );
    }
    if (this.snapshotRecord !== undefined && hard.commit < this.snapshotRecord.index) {
      throw new RaftStorageError(
        `hard state commit ${hard.commit} is before the snapshot index ${this.snapshotRecord.index}; refusing to start`,
      );
    }
    // Snapshot files older than the latest are no longer referenced (a crash came before their
    // deletion); newer ones were never recorded.
    for (const snapshot of classify(listing).snapshots) {
      if (snapshot.sequence !== this.snapshotIndex && !readOnly)
        await fs.unlink(join(dir, snapshot.name));
    }
  }

  /**
   * Rebuilds `memory` from every record in file order. The log starts after the latest
   * SnapshotMeta's compactIndex (older segments may be gone), so entries at or before it are
   * skipped; the snapshot itself is installed where its record comes.
   */
  private async replayAll(records: { record: RaftRecord; path: string }[]): Promise<void> {
    let latest: SnapshotMetaRecord | undefined;
    for (const { record } of records)
      if (record.kind === RaftRecordKind.SnapshotMeta) latest = record.meta;
    let snapshot: Snapshot | undefined;
    let installed = false;
    if (latest !== undefined) {
      snapshot = await this.readSnapshotFile(latest);
      if (latest.compactIndex === latest.index) this.memory.applySnapshot(snapshot);
      else if (latest.compactIndex > 0) {
        this.memory.applySnapshot({
          metadata: {
            index: latest.compactIndex,
            term: latest.compactTerm,
            confState: latest.confState,
          },
          data: new Uint8Array(0),
        });
      }
    }
    for (const { record, path } of records) {
      if (record.kind === RaftRecordKind.Entry) {
        const entry = record.entry;
        if (entry.index < this.memory.firstIndex()) continue; // compacted into the snapshot
        if (entry.index > this.memory.lastIndex() + 1) {
          throw new RaftStorageError(
            `${path}: entry ${entry.index} does not follow ${this.memory.lastIndex()}` +
              (latest !== undefined
                ? ` (the log is not contiguous with the snapshot at ${latest.index}, compacted to ${latest.compactIndex})`
                : '') +
              '; refusing to start',
          );
        }
        this.memory.append([entry]);
      } else if (record.kind === RaftRecordKind.HardState) {
        this.memory.setHardState(record.hardState);
      } else if (!installed && latest !== undefined && record.meta.index === latest.index) {
        // The first copy only: later segments start with copies of it, and a copy of a
        // log-replacing record must not discard the entries written after the original.
        installed = true;
        this.installInMemory(latest, snapshot as Snapshot, path);
      }
    }
    if (latest !== undefined && this.memory.snapshot().metadata.index !== latest.index) {
      throw new RaftStorageError(`snapshot ${latest.index} was not installed; refusing to start`);
    }
    this.snapshotRecord = latest;
  }

  /** Puts the snapshot of `meta` into `memory` (the log before it is already there). */
  private installInMemory(meta: SnapshotMetaRecord, snapshot: Snapshot, where: string): void {
    if (meta.replacesLog) {
      const hard = this.memory.hardStateNow();
      this.memory = new MemoryStorage();
      this.memory.applySnapshot({ metadata: snapshot.metadata, data: SNAPSHOT_NOT_HELD });
      this.memory.setHardState(hard);
      return;
    }
    if (this.memory.snapshot().metadata.index === meta.index) return;
    if (this.memory.lastIndex() < meta.index) {
      throw new RaftStorageError(
        `${where}: the log ends at ${this.memory.lastIndex()}, before the snapshot at ${meta.index}; refusing to start`,
      );
    }
    const term = this.memory.term(meta.index);
    if (term !== meta.term) {
      throw new RaftStorageError(
        `${where}: entry ${meta.index} has term ${String(term)} but the snapshot says ${meta.term}; refusing to start`,
      );
    }
    this.memory.createSnapshot(meta.index, meta.confState, SNAPSHOT_NOT_HELD);
    this.memory.compact(meta.compactIndex);
  }

  /** Reads and verifies the snapshot file a SnapshotMeta record names. */
  private async readSnapshotFile(meta: SnapshotMetaRecord): Promise<Snapshot> {
    const { fs, dir } = this.options;
    const path = join(dir, snapshotName(meta.index));
    // Read a window at a time: the bytes are never held. The node verifies the engine part while
    // it loads it (one read of the file), and refuses to start if it is damaged; `shoal check`
    // (read-only) verifies it all here.
    let parsed: ParsedSnapshotFile | string;
    try {
      parsed = parseSnapshotSource(
        fileSource(fs, path),
        this.options.readOnly === true ? 'whole' : 'header',
      );
    } catch (error) {
      throw new RaftStorageError(
        `${path}: the Raft log names this snapshot but it cannot be read (${(error as Error).message}); refusing to start`,
      );
    }
    if (typeof parsed === 'string')
      throw new RaftStorageError(`${path}: damaged snapshot (${parsed}); refusing to start`);
    if (parsed.meta.index !== meta.index || parsed.meta.term !== meta.term) {
      throw new RaftStorageError(
        `${path}: snapshot is at ${parsed.meta.index}/${parsed.meta.term}, the Raft log says ${meta.index}/${meta.term}; refusing to start`,
      );
    }
    this.parsedSnapshot = parsed;
    const metadata = { index: meta.index, term: meta.term, confState: meta.confState };
    return { metadata, data: SNAPSHOT_NOT_HELD };
  }

  /** Makes a Ready's snapshot, hard state and entries durable (one write, one fsync when required). */
  async persist(batch: PersistBatch): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.options.readOnly === true) throw new RaftStorageError('opened read-only');
    let installed: { record: SnapshotMetaRecord; snapshot: Snapshot } | undefined;
    if (batch.snapshot !== null) installed = await this.writeReceivedSnapshot(batch.snapshot);
    if (batch.entries.length === 0 && batch.hardState === null && installed === undefined) return;
    const out = this.writer;
    out.length = 0;
    if (installed !== undefined) {
      const at = beginFrame(out);
      encodeSnapshotMetaRecord(out, installed.record);
      endFrame(out, at);
    }
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
      if (
        this.handle === undefined ||
        segmentFull(this.segmentBytes, this.preallocatedBytes, this.segmentBytesMax) ||
        (this.preallocatedBytes === 0 && this.spare.ready)
      ) {
        await this.startSegment(
          first?.index ?? Math.max(this.memory.lastIndex(), installed?.record.index ?? 0) + 1,
        );
      }
      // Written on the main thread (into the page cache, microseconds), as the engine's log
      // does: an asynchronous write costs a thread-pool trip and then a wait for a busy event
      // loop before the fdatasync can even start.
      (this.handle as FileHandle).writeSync(bytes, this.segmentBytes);
      this.segmentBytes += bytes.length;
      this.spare.consider(this.segmentBytes, this.preallocatedBytes);
      // The commit index alone need not be synced: a lower commit after a crash is safe.
      if (batch.mustSync || batch.entries.length > 0 || installed !== undefined)
        await (this.handle as FileHandle).datasync();
    } catch (error) {
      this.failure = error as Error;
      throw error;
    }
    if (installed !== undefined) {
      this.installInMemory(installed.record, installed.snapshot, 'received snapshot');
      this.snapshotRecord = installed.record;
    }
    this.memory.append(batch.entries);
    if (batch.hardState !== null) this.memory.setHardState(batch.hardState);
    if (installed !== undefined) await this.dropCovered();
  }

  /**
   * The chunks of a snapshot being received go to a file of their own as they come (written on
   * the main thread, into the page cache), so the node never holds a transfer in memory; the
   * Ready's snapshot then has no bytes, and persist() syncs, verifies and renames that file.
   */
  receiveSnapshot(metadata: SnapshotMetadata): SnapshotReceiver {
    this.dropReceiving();
    const { fs, dir } = this.options;
    // A name of its own per transfer: a restarted one must not meet the old one's unlink.
    const path = join(
      dir,
      `${snapshotName(metadata.index)}.${++this.transfers}${RECEIVING_SUFFIX}${TEMPORARY_SUFFIX}`,
    );
    const handle = this.failingOn(() => fs.openSync(path, 'create'));
    const receiving: Receiving = { metadata, path, handle, complete: false };
    this.receiving = receiving;
    return {
      write: (offset, data) =>
        this.failingOn(() =>
          handle.writeSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength), offset),
        ),
      finish: () => {
        receiving.complete = true;
        return SNAPSHOT_NOT_HELD;
      },
      discard: () => {
        if (this.receiving === receiving) this.dropReceiving();
      },
    };
  }

  /** Runs a disk operation of a transfer; a failure stops the storage (as persist's do). */
  private failingOn<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      this.failure = error as Error;
      throw new RaftStorageError(`receiving a snapshot: ${(error as Error).message}`);
    }
  }

  private dropReceiving(): void {
    const receiving = this.receiving;
    if (receiving === undefined) return;
    this.receiving = undefined;
    try {
      receiving.handle.closeSync();
    } catch {
      // (Already failed: the file is removed anyway, or at the next start.)
    }
    void this.options.fs.unlink(receiving.path).catch(() => undefined);
  }

  /** Verifies a snapshot received from the leader and writes its file durably. */
  private async writeReceivedSnapshot(
    snapshot: Snapshot,
  ): Promise<{ record: SnapshotMetaRecord; snapshot: Snapshot }> {
    const { metadata } = snapshot;
    const parsed =
      snapshot.data.length === 0
        ? await this.keepReceivedFile(metadata)
        : await this.writeReceivedBytes(metadata, snapshot.data);
    this.parsedSnapshot = parsed;
    return {
      record: {
        index: metadata.index,
        term: metadata.term,
        confState: metadata.confState,
        compactIndex: metadata.index,
        compactTerm: metadata.term,
        replacesLog: true,
      },
      snapshot,
    };
  }

  /** A snapshot received into memory (a storage without a receiver, or tests): written now. */
  private async writeReceivedBytes(
    metadata: SnapshotMetadata,
    bytes: Uint8Array,
  ): Promise<ParsedSnapshotFile> {
    const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const parsed = checkReceived(metadata, parseSnapshotFile(data));
    await this.writeSnapshotFile(metadata.index, data);
    return parsed;
  }

  /** A snapshot received into its own file (receiveSnapshot): synced, verified, renamed. */
  private async keepReceivedFile(metadata: SnapshotMetadata): Promise<ParsedSnapshotFile> {
    const receiving = this.receiving;
    if (
      receiving === undefined ||
      !receiving.complete ||
      receiving.metadata.index !== metadata.index ||
      receiving.metadata.term !== metadata.term
    )
      throw new RaftStorageError(`received snapshot ${metadata.index}: its file is not there`);
    this.receiving = undefined;
    const { fs, dir } = this.options;
    const final = join(dir, snapshotName(metadata.index));
    try {
      await receiving.handle.datasync();
      await receiving.handle.close();
      const parsed = checkReceived(metadata, parseSnapshotSource(fileSource(fs, receiving.path)));
      await fs.rename(receiving.path, final);
      await fs.syncDirectory(dir);
      return parsed;
    } catch (error) {
      if (!(error instanceof RaftStorageError)) this.failure = error as Error;
      await fs.unlink(receiving.path).catch(() => undefined);
      throw error;
    }
  }

  private async writeSnapshotFile(index: number, data: Buffer): Promise<void> {
    const { fs, dir } = this.options;
    const final = join(dir, snapshotName(index));
    const temporary = final + TEMPORARY_SUFFIX;
    try {
      const handle = await fs.open(temporary, 'create');
      try {
        await handle.write([data], 0);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await fs.rename(temporary, final);
      await fs.syncDirectory(dir);
    } catch (error) {
      this.failure = error as Error;
      throw error;
    }
  }

  /**
   * Records a snapshot this node wrote (its file `snapshot-<index>.snap` is durable and was
   * verified: `parsed`) at the start of a new segment, and compacts the log up to
   * `compactIndex` (<= index): entries after it stay, so followers slightly behind still get
   * appends; segments wholly before it are deleted. Call between Readys only.
   */
  async recordSnapshot(parsed: ParsedSnapshotFile, compactIndex: number): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const { index, term, confState } = parsed.meta;
    if (index <= this.snapshotIndex) return;
    if (index > this.memory.lastIndex() || this.memory.term(index) !== term)
      throw new RaftStorageError(`snapshot ${index}/${term} does not match the log`);
    const compactTo = Math.max(Math.min(compactIndex, index), this.memory.firstIndex() - 1);
    const record: SnapshotMetaRecord = {
      index,
      term,
      confState,
      compactIndex: compactTo,
      compactTerm: this.memory.term(compactTo) as number,
      replacesLog: false,
    };
    // A fresh segment starting with the record: the segments before it become deletable once a
    // later compaction passes them (a log that stays in one big segment would never shrink).
    const previous = this.snapshotRecord;
    this.snapshotRecord = record;
    try {
      await this.startSegment(this.memory.lastIndex() + 1);
      await (this.handle as FileHandle).datasync();
    } catch (error) {
      this.snapshotRecord = previous;
      this.failure = error as Error;
      throw error;
    }
    this.parsedSnapshot = parsed;
    this.memory.createSnapshot(index, confState, SNAPSHOT_NOT_HELD);
    this.memory.compact(compactTo);
    await this.dropCovered();
  }

  /** Deletes segments whose entries are all compacted, and snapshot files older than the latest. */
  private async dropCovered(): Promise<void> {
    const { fs, dir } = this.options;
    const compactIndex = this.snapshotRecord?.compactIndex ?? 0;
    // Segment k holds no live entry at or after the next segment's first index, so it is
    // covered once that index is at most compactIndex + 1. The last segment is kept (written).
    while (this.segments.length > 1 && (this.segments[1] as number) <= compactIndex + 1) {
      const first = this.segments.shift() as number;
      await fs.unlink(join(dir, raftSegmentName(first)));
    }
    const listing = classify(await fs.readdir(dir));
    for (const snapshot of listing.snapshots) {
      if (snapshot.sequence < this.snapshotIndex) await fs.unlink(join(dir, snapshot.name));
    }
    await fs.syncDirectory(dir);
  }

  /** Segment files on disk, oldest first (their first indexes). */
  get segmentFirstIndexes(): readonly number[] {
    return this.segments;
  }

  private async startSegment(firstIndex: number): Promise<void> {
    const { dir } = this.options;
    if (this.handle !== undefined) {
      // A preallocated segment keeps its zeros (they end its data; compaction deletes it soon):
      // cutting them off would cost a journal commit while the Ready loop waits.
      await this.handle.datasync();
      await this.handle.close();
    }
    // Names must sort in write order; an overwrite of older indexes goes on in a later segment.
    const last = this.segments[this.segments.length - 1];
    const first = last !== undefined && firstIndex <= last ? last + 1 : firstIndex;
    const path = join(dir, raftSegmentName(first));
    const { handle, preallocatedBytes } = await this.spare.openSegment(path);
    this.preallocatedBytes = preallocatedBytes;
    this.handle = handle;
    this.segments.push(first);
    this.segmentBytes = FILE_HEADER_BYTES;
    // The segment starts with the latest snapshot record and the hard state, so no segment
    // depends on an older one for them.
    const hard = this.memory.hardStateNow();
    const out = new ByteWriter(256);
    if (this.snapshotRecord !== undefined) {
      const at = beginFrame(out);
      encodeSnapshotMetaRecord(out, this.snapshotRecord);
      endFrame(out, at);
    }
    if (hard !== EMPTY_HARD_STATE) {
      const at = beginFrame(out);
      encodeHardStateRecord(out, hard);
      endFrame(out, at);
    }
    const bytes = out.take();
    if (bytes.length > 0) {
      await handle.write([bytes], this.segmentBytes);
      this.segmentBytes += bytes.length;
    }
  }

  async close(): Promise<void> {
    this.dropReceiving(); // a transfer cut short by the close: its file goes
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined) await handle.close();
    await this.spare.close();
  }

  /**
   * Where a segment's data ends when the scan stopped at zeros that run to the end of the file
   * (a preallocated segment's unwritten space); undefined for any other stop.
   */
  private async unwrittenSpace(
    handle: FileHandle,
    problem: FrameProblem | undefined,
  ): Promise<number | undefined> {
    if (problem?.reason !== UNWRITTEN) return undefined;
    const end = await writtenEnd(handle, problem.offset, await handle.size());
    return end === problem.offset ? end : undefined;
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
  /**
   * The latest snapshot, its bytes read from its file now. The memory storage keeps only its
   * metadata (SNAPSHOT_NOT_HELD): a dataset-sized copy held for good would double a node's
   * memory. The core asks for the bytes only to send them to a follower that needs them (and
   * holds them for that transfer), and once when it starts.
   */
  snapshot(): Snapshot {
    const held = this.memory.snapshot();
    if (held.metadata.index === 0) return held;
    const path = join(this.options.dir, snapshotName(held.metadata.index));
    let data: Buffer;
    try {
      data = this.options.fs.readFile(path);
    } catch (error) {
      throw new RaftStorageError(`${path}: cannot read the snapshot (${(error as Error).message})`);
    }
    return { metadata: held.metadata, data };
  }

  /**
   * The latest snapshot for a transfer: its chunks are read from the file as they are sent, so
   * a transfer holds only the chunks in flight. Once a newer snapshot has replaced the file,
   * `read` answers undefined and the core starts over with the latest.
   */
  snapshotSource(): SnapshotSource {
    const held = this.memory.snapshot();
    if (held.metadata.index === 0) return snapshotSource(held);
    const { fs, dir } = this.options;
    const path = join(dir, snapshotName(held.metadata.index));
    let length: number;
    try {
      length = fs.fileSize(path);
    } catch (error) {
      throw new RaftStorageError(`${path}: cannot read the snapshot (${(error as Error).message})`);
    }
    return {
      metadata: held.metadata,
      length,
      read: (start, end) => {
        try {
          return fs.readFileRange(path, start, end);
        } catch {
          return undefined;
        }
      },
    };
  }
}

/** The bytes the memory storage holds for a snapshot: none (see RaftDiskStorage.snapshot). */
const SNAPSHOT_NOT_HELD = new Uint8Array(0);

/** Marks the file of a snapshot being received (then TEMPORARY_SUFFIX: removed at start). */
const RECEIVING_SUFFIX = '.received';

interface Receiving {
  metadata: SnapshotMetadata;
  path: string;
  handle: FileHandle;
  complete: boolean;
}

/** A file read a window at a time. */
function fileSource(fs: FileSystem, path: string): ByteSource {
  return { length: fs.fileSize(path), read: (start, end) => fs.readFileRange(path, start, end) };
}

/** A received snapshot's parse, checked against its message's metadata. */
function checkReceived(
  metadata: SnapshotMetadata,
  parsed: ParsedSnapshotFile | string,
): ParsedSnapshotFile {
  if (typeof parsed === 'string')
    throw new RaftStorageError(`received snapshot ${metadata.index} is damaged: ${parsed}`);
  if (parsed.meta.index !== metadata.index || parsed.meta.term !== metadata.term)
    throw new RaftStorageError(
      `received snapshot says ${parsed.meta.index}/${parsed.meta.term}, its message ${metadata.index}/${metadata.term}`,
    );
  return parsed;
}
