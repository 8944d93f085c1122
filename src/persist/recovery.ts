// Recovery at start: load the newest valid snapshot, then replay the log entries after it, in
// slices across event-loop turns (the server answers -LOADING meanwhile). Damage is told apart:
// - a torn tail (the last write of the last segment cut short by a crash, found by length or CRC)
//   is truncated, with a log line saying how many bytes were dropped;
// - a bad record with a good write batch after it is corruption in the middle: recovery stops
//   with the file and offset, unless `repair` truncates there (dropping everything after).
// `check` runs the same reading without changing anything and reports what it finds.

import type { Engine } from '../engine/engine.js';
import { type Effect, Op } from '../engine/effects.js';
import {
  checkEntryPayload,
  checkKeysPayload,
  DecodeError,
  decodeRecord,
  forEachEntryEffect,
  RecordKind,
} from './codec.js';
import { crc32c } from './crc32c.js';
import {
  checkFileHeader,
  FILE_HEADER_BYTES,
  FRAME_HEADER_BYTES,
  LOG_MAGIC,
  readRegion,
  scanFrames,
  SECTOR_BYTES,
  SNAPSHOT_MAGIC,
  UNWRITTEN,
  writtenEnd,
} from './framing.js';
import type { FileHandle, FileSystem } from './fs.js';
import type { LogLine, SegmentInfo } from './log.js';
import { classify, join } from './names.js';
import { applySnapshotKeys } from './snapshot-bytes.js';
import { runTurnEnd } from '../util/turn-end.js';

export class RecoveryError extends Error {
  override name = 'RecoveryError';
  constructor(
    message: string,
    readonly file: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface RecoveryProgress {
  loadedBytes: number;
  totalBytes: number;
}

export interface RecoveryOptions {
  fs: FileSystem;
  dir: string;
  /** Truncate the log at the first bad record instead of refusing to start. */
  repair: boolean;
  log: LogLine;
  /** Work this long before yielding to the event loop. */
  sliceMs: number;
  progress?: RecoveryProgress;
  /** Check only: read and verify, change nothing, apply nothing. */
  checkOnly?: boolean;
}

export interface Problem {
  file: string;
  offset: number;
  kind: 'torn-tail' | 'corrupt' | 'bad-snapshot' | 'gap';
  message: string;
}

export interface RecoveryResult {
  lastSequence: number;
  snapshotSequence: number;
  snapshotKeys: number;
  entriesReplayed: number;
  /** Segments left on disk, in order (the log continues after the last). */
  segments: SegmentInfo[];
  problems: Problem[];
}

interface SnapshotCheck {
  sequence: number;
  databaseCount: number;
  keyCount: number;
}

/**
 * What a snapshot read does besides verifying: `header` sees the header record before any key
 * (and may throw), `keys` applies each Keys record as it is read. Without it, keys are checked
 * and not built (`shoal check`, or only verifying).
 */
interface SnapshotLoad {
  header(check: SnapshotCheck): void;
  /** `offset`: where the record's frame starts, for progress. */
  keys(keys: readonly (readonly Effect[])[], offset: number): Promise<void> | undefined;
}

/**
 * Verifies a snapshot completely (header, every record, trailer, file checksum), in one pass,
 * applying its keys as they come when `load` is given; a string says what is wrong (the keys
 * applied by then are the caller's to undo).
 */
async function readSnapshot(
  fs: FileSystem,
  path: string,
  load?: SnapshotLoad,
): Promise<SnapshotCheck | string> {
  const handle = await fs.open(path, 'read');
  try {
    const header = await readRegion(handle, 0, FILE_HEADER_BYTES);
    const headerProblem = checkFileHeader(header, SNAPSHOT_MAGIC);
    if (headerProblem !== undefined) return headerProblem;
    let fileCrc = crc32c(header);
    let records = 0;
    let check: SnapshotCheck | undefined;
    let trailerSeen: string | undefined;
    const scan = await scanFrames(handle, FILE_HEADER_BYTES, (payload, offset, frame) => {
      if (trailerSeen !== undefined) {
        trailerSeen = `data after the trailer at offset ${offset}`;
        return;
      }
      if (records > 0 && payload[0] === RecordKind.Keys) {
        records++;
        fileCrc = crc32c(frame, 0, frame.length, fileCrc);
        if (load === undefined) {
          // Checked without building the keys.
          checkKeysPayload(payload, 0, payload.length);
          return undefined;
        }
        const record = decodeRecord(payload);
        return record.kind === RecordKind.Keys ? load.keys(record.value, offset) : undefined;
      }
      const record = decodeRecord(payload);
      if (records === 0) {
        if (record.kind !== RecordKind.Header) throw new DecodeError('no snapshot header');
        check = { ...record.value, keyCount: 0 };
        load?.header(check);
      } else if (record.kind === RecordKind.Trailer) {
        if (record.value.fileCrc !== fileCrc) trailerSeen = 'file checksum mismatch';
        else if (record.value.recordCount !== records) trailerSeen = 'record count mismatch';
        else trailerSeen = '';
        if (check !== undefined) check.keyCount = record.value.keyCount;
        return;
      } else if (record.kind !== RecordKind.Keys) {
        throw new DecodeError(`unexpected record kind ${record.kind}`);
      }
      records++;
      fileCrc = crc32c(frame, 0, frame.length, fileCrc);
      return undefined;
    }).catch((error: unknown) => {
      if (error instanceof DecodeError) return error.message;
      throw error;
    });
    if (typeof scan === 'string') return scan;
    if (scan.problem !== undefined)
      return `${scan.problem.reason} at offset ${scan.problem.offset}`;
    if (trailerSeen === undefined) return 'no trailer (the snapshot is incomplete)';
    if (trailerSeen !== '') return trailerSeen;
    if (check === undefined) return 'no snapshot header';
    return check;
  } finally {
    await handle.close();
  }
}

class Yielder {
  private started = performance.now();
  constructor(private readonly sliceMs: number) {}
  async maybeYield(): Promise<void> {
    if (this.due()) await this.yield();
  }
  due(): boolean {
    return performance.now() - this.started >= this.sliceMs;
  }
  async yield(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    runTurnEnd(); // the -LOADING replies of this turn go out before the next slice
    this.started = performance.now();
  }
}

/** Is there a good Batch frame for a later sequence anywhere in `data`? (Then a bad record before it is not a torn tail.) */
function laterBatchExists(data: Buffer, afterSequence: number): boolean {
  for (let at = 0; at + FRAME_HEADER_BYTES < data.length; at++) {
    if (data[at + FRAME_HEADER_BYTES] !== RecordKind.Batch) continue;
    const length = data.readUInt32LE(at);
    if (length < 4 || length > 40 || at + FRAME_HEADER_BYTES + length > data.length) continue;
    const start = at + FRAME_HEADER_BYTES;
    if (crc32c(data, start, start + length) !== data.readUInt32LE(at + 4)) continue;
    try {
      const record = decodeRecord(data, start, start + length);
      if (record.kind === RecordKind.Batch && record.value.firstSequence > afterSequence)
        return true;
    } catch {
      continue;
    }
  }
  return false;
}

interface SegmentReplay {
  lastSequence: number;
  entries: number;
  /**
   * The first bad record, where the good data ends (the start of the write holding it), and
   * where the bytes written at all end (zeros follow: a preallocated segment's unwritten space).
   */
  problem:
    | { offset: number; truncateAt: number; dataEnd: number; reason: string; torn: boolean }
    | undefined;
  /** Set when the segment's data ends cleanly and zeros (never written) fill the rest. */
  unwrittenFrom?: number;
}

async function replaySegment(
  handle: FileHandle,
  segment: { firstSequence: number; name: string },
  previousSequence: number,
  snapshotSequence: number,
  isLast: boolean,
  apply: ((effect: Effect) => void) | undefined,
  yielder: Yielder,
  progress: RecoveryProgress,
): Promise<SegmentReplay> {
  const size = await handle.size();
  const header = await readRegion(handle, 0, FILE_HEADER_BYTES);
  const headerProblem = checkFileHeader(header, LOG_MAGIC);
  let last = previousSequence;
  let entries = 0;
  if (headerProblem !== undefined) {
    // A segment created just before a crash may have no complete header yet.
    const torn =
      isLast &&
      size <= FILE_HEADER_BYTES &&
      (size < FILE_HEADER_BYTES || header.every((byte) => byte === 0));
    return {
      lastSequence: last,
      entries,
      problem: { offset: 0, truncateAt: 0, dataEnd: size, reason: headerProblem, torn },
    };
  }
  // A write (one Batch frame and its entries) counts whole or not at all. A first pass checks
  // every record without building it and finds where the last whole write ends; a second pass
  // then decodes and applies the entries up to there, one at a time. (Holding a write's decoded
  // entries until its last one is read kept tens of thousands of objects alive per batch, and
  // the garbage collector spent most of the load copying them.)
  let expectedInBatch = 0;
  let batchStart = FILE_HEADER_BYTES;
  let batchEnd = -1;
  let committed = previousSequence;
  let committedEnd = FILE_HEADER_BYTES;
  let lastOffset = FILE_HEADER_BYTES;
  let decodeProblem: { offset: number; reason: string } | undefined;
  let frames = 0;
  const advance = (offset: number): Promise<void> | undefined => {
    progress.loadedBytes += offset - lastOffset;
    lastOffset = offset;
    // Entries are small: reading the clock for every one of them shows in a profile.
    if ((++frames & 63) !== 0) return undefined;
    return yielder.due() ? yielder.yield() : undefined;
  };
  const scan = await scanFrames(handle, FILE_HEADER_BYTES, (payload, offset) => {
    if (decodeProblem !== undefined) return;
    if (payload[0] === RecordKind.Entry) {
      let sequence: number;
      try {
        sequence = checkEntryPayload(payload, 0, payload.length);
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        decodeProblem = { offset, reason: `undecodable record: ${error.message}` };
        return;
      }
      if (expectedInBatch === 0 || sequence !== last + 1) {
        decodeProblem = { offset, reason: `entry ${sequence} out of order (expected ${last + 1})` };
        return;
      }
      expectedInBatch--;
      last = sequence;
      if (expectedInBatch === 0) {
        entries += last - committed;
        committed = last;
        committedEnd = offset + FRAME_HEADER_BYTES + payload.length;
      }
    } else {
      let record;
      try {
        record = decodeRecord(payload);
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        decodeProblem = { offset, reason: `undecodable record: ${error.message}` };
        return;
      }
      if (record.kind !== RecordKind.Batch) {
        decodeProblem = {
          offset,
          reason: `unexpected record kind ${record.kind} in a log segment`,
        };
        return;
      }
      if (expectedInBatch !== 0 || record.value.firstSequence !== last + 1) {
        decodeProblem = {
          offset,
          reason: `batch starts at sequence ${record.value.firstSequence}, expected ${last + 1}`,
        };
        return;
      }
      expectedInBatch = record.value.entryCount;
      batchStart = offset;
      batchEnd = offset + payload.length + FRAME_HEADER_BYTES + record.value.bytes;
    }
    return apply === undefined ? advance(offset) : undefined;
  });
  if (apply !== undefined && committed > Math.max(previousSequence, snapshotSequence)) {
    // The second pass: the whole writes found above, entries after the snapshot.
    const second = await scanFrames(
      handle,
      FILE_HEADER_BYTES,
      (payload, offset) => {
        if (payload[0] === RecordKind.Entry) {
          forEachEntryEffect(payload, 0, payload.length, snapshotSequence, apply);
        }
        return advance(offset);
      },
      undefined,
      { end: committedEnd },
    );
    if (second.goodEnd !== committedEnd) {
      throw new RecoveryError(
        `${segment.name}: the log changed while it was being read (offset ${second.goodEnd})`,
        segment.name,
        second.goodEnd,
      );
    }
  }
  progress.loadedBytes += size - lastOffset;
  // Where to cut: before the write that holds the bad spot.
  const cut = (offset: number): number => (expectedInBatch !== 0 ? batchStart : offset);
  if (decodeProblem !== undefined) {
    // CRC-valid but meaningless: never a torn write.
    const problem = decodeProblem as { offset: number; reason: string };
    return {
      lastSequence: committed,
      entries,
      problem: { ...problem, truncateAt: cut(problem.offset), dataEnd: size, torn: false },
    };
  }
  if (scan.problem === undefined) {
    if (expectedInBatch === 0) return { lastSequence: committed, entries, problem: undefined };
    // The batch header promised more entries than the file holds: the write was cut short.
    return {
      lastSequence: committed,
      entries,
      problem: {
        offset: scan.goodEnd,
        truncateAt: batchStart,
        dataEnd: size,
        reason: 'write batch cut short',
        torn: isLast,
      },
    };
  }
  const { offset, reason } = scan.problem;
  const nonZeroEnd = await writtenEnd(handle, offset, size);
  if (reason === UNWRITTEN && nonZeroEnd === offset && expectedInBatch === 0) {
    return { lastSequence: committed, entries, problem: undefined, unwrittenFrom: offset };
  }
  // Zeros at the end count as written data unless they fill a whole sector or more (then they
  // are a preallocated segment's unwritten space).
  const dataEnd = size - nonZeroEnd >= SECTOR_BYTES ? nonZeroEnd : size;
  // Torn only in the last segment, and only if no complete write follows the bad spot.
  let torn = isLast;
  if (torn && !(batchEnd >= dataEnd && expectedInBatch !== 0)) {
    const rest = await readRegion(handle, offset + 1, Math.max(offset + 1, dataEnd));
    torn = !laterBatchExists(rest, committed);
  }
  return {
    lastSequence: committed,
    entries,
    problem: { offset, truncateAt: cut(offset), dataEnd, reason, torn },
  };
}

/**
 * Loads `dir` into `engine` (or, with checkOnly, only verifies it). Throws RecoveryError for
 * damage it may not repair by itself.
 */
export async function recover(
  engine: Engine | undefined,
  options: RecoveryOptions,
): Promise<RecoveryResult> {
  const { fs, dir, log } = options;
  const checkOnly = options.checkOnly === true;
  const progress = options.progress ?? { loadedBytes: 0, totalBytes: 0 };
  const yielder = new Yielder(options.sliceMs);
  if (!checkOnly) await fs.mkdir(dir);
  const listing = classify(await fs.readdir(dir));
  const result: RecoveryResult = {
    lastSequence: 0,
    snapshotSequence: 0,
    snapshotKeys: 0,
    entriesReplayed: 0,
    segments: [],
    problems: [],
  };
  for (const name of listing.temporary) {
    if (checkOnly) continue;
    log(
      'notice',
      `Removing temporary file ${name} left by an interrupted write (a snapshot or a spare segment)`,
    );
    await fs.unlink(join(dir, name));
  }
  progress.totalBytes = await totalBytes(fs, dir, listing);

  // The newest snapshot that verifies, loaded as it is verified (one read of the file): one that
  // turns out damaged is undone and the next older one tried.
  for (let i = listing.snapshots.length - 1; i >= 0; i--) {
    const snapshot = listing.snapshots[i] as { sequence: number; name: string };
    const path = join(dir, snapshot.name);
    const loading = checkOnly ? undefined : engine;
    const loadedBefore = progress.loadedBytes;
    const verified = await readSnapshot(
      fs,
      path,
      loading === undefined
        ? undefined
        : {
            header(check) {
              if (check.databaseCount > loading.databases.length) {
                throw new RecoveryError(
                  `${path}: the snapshot has ${check.databaseCount} databases but 'databases' is ${loading.databases.length}`,
                  path,
                  0,
                );
              }
              log('notice', `Loading snapshot ${snapshot.name} (log sequence ${check.sequence})`);
            },
            keys(keys, offset) {
              applySnapshotKeys(loading, keys);
              progress.loadedBytes = loadedBefore + offset - FILE_HEADER_BYTES;
              return yielder.due() ? yielder.yield() : undefined;
            },
          },
    );
    if (typeof verified === 'string') {
      if (loading !== undefined) loading.applyEffect([Op.FlushAll]);
      progress.loadedBytes = loadedBefore;
      const message = `snapshot ${snapshot.name} is damaged (${verified}): skipped`;
      result.problems.push({ file: path, offset: 0, kind: 'bad-snapshot', message });
      log('warning', message);
      continue;
    }
    result.snapshotSequence = verified.sequence;
    result.snapshotKeys = verified.keyCount;
    result.lastSequence = verified.sequence;
    break;
  }

  // Segments wholly covered by the snapshot are not needed (a crash came before their deletion).
  const segments = listing.segments;
  let first = 0;
  while (
    first + 1 < segments.length &&
    (segments[first + 1] as { firstSequence: number }).firstSequence <= result.snapshotSequence + 1
  ) {
    first++;
  }
  for (let i = 0; i < first; i++) {
    const name = (segments[i] as { name: string }).name;
    if (!checkOnly) await fs.unlink(join(dir, name));
  }
  const apply =
    checkOnly || engine === undefined ? undefined : (effect: Effect) => engine.applyEffect(effect);
  let last = result.snapshotSequence;
  for (let i = first; i < segments.length; i++) {
    const segment = segments[i] as { firstSequence: number; name: string };
    const path = join(dir, segment.name);
    if (segment.firstSequence > last + 1 || (i > first && segment.firstSequence !== last + 1)) {
      const message =
        segment.firstSequence > last + 1
          ? `${path}: log entries ${last + 1} to ${segment.firstSequence - 1} are missing`
          : `${path}: starts at entry ${segment.firstSequence}, but the log before it ends at ${last}`;
      result.problems.push({ file: path, offset: 0, kind: 'gap', message });
      throw new RecoveryError(message, path, 0);
    }
    const handle = await fs.open(path, checkOnly ? 'read' : 'write');
    let replay: SegmentReplay;
    try {
      replay = await replaySegment(
        handle,
        segment,
        segment.firstSequence - 1,
        result.snapshotSequence,
        i === segments.length - 1,
        apply,
        yielder,
        progress,
      );
      if (replay.lastSequence > result.snapshotSequence) {
        result.entriesReplayed += replay.lastSequence - Math.max(last, result.snapshotSequence);
      }
      last = Math.max(last, replay.lastSequence);
      const problem = replay.problem;
      if (problem !== undefined) {
        const dropped = Math.max(0, problem.dataEnd - problem.truncateAt);
        const kind = problem.torn ? 'torn-tail' : 'corrupt';
        const message = problem.torn
          ? `${path}: torn tail at offset ${problem.offset} (${problem.reason}): ${dropped} bytes from offset ${problem.truncateAt} to drop`
          : `${path}: bad record at offset ${problem.offset} (${problem.reason})`;
        result.problems.push({ file: path, offset: problem.offset, kind, message });
        if (!checkOnly) {
          if (!problem.torn && !options.repair) {
            throw new RecoveryError(
              `Bad record in the middle of log file ${path} at offset ${problem.offset} (${problem.reason}). ` +
                `Make a backup of ${dir}, then run 'shoal check --dir ${dir}' to see the damage and ` +
                `'shoal serve --repair' to truncate the log at the first bad record.`,
              path,
              problem.offset,
            );
          }
          if (problem.torn) {
            log('warning', `!!! Warning: short read while loading the log file ${segment.name}!!!`);
          }
          log(
            'warning',
            `!!! Truncating the log file ${segment.name} at offset ${problem.truncateAt}: ${dropped} bytes dropped !!!`,
          );
          if (problem.truncateAt < FILE_HEADER_BYTES) {
            await handle.close();
            await fs.unlink(path);
          } else {
            await handle.truncate(problem.truncateAt);
            await handle.datasync();
          }
          if (!problem.torn) {
            // Repair: everything after the first bad record goes.
            for (const later of segments.slice(i + 1)) {
              log('warning', `!!! Removing log file ${later.name} after the repaired one !!!`);
              await fs.unlink(join(dir, later.name));
            }
            if (problem.truncateAt >= FILE_HEADER_BYTES)
              result.segments.push({ firstSequence: segment.firstSequence, path });
            await fs.syncDirectory(dir);
            break;
          }
          if (problem.truncateAt >= FILE_HEADER_BYTES)
            result.segments.push({ firstSequence: segment.firstSequence, path });
          await fs.syncDirectory(dir);
          continue;
        }
        if (!problem.torn) break;
      }
      if (replay.unwrittenFrom !== undefined && !checkOnly) {
        // A preallocated segment's zeros: the log goes on in a new segment, so they are only
        // space taken.
        await handle.truncate(replay.unwrittenFrom);
        await handle.datasync();
      }
      result.segments.push({ firstSequence: segment.firstSequence, path });
    } finally {
      await handle.close().catch(() => undefined);
    }
  }
  result.lastSequence = last;
  return result;
}

async function totalBytes(
  fs: FileSystem,
  dir: string,
  listing: ReturnType<typeof classify>,
): Promise<number> {
  let total = 0;
  const newest = listing.snapshots[listing.snapshots.length - 1];
  const names = [...listing.segments.map((s) => s.name), ...(newest ? [newest.name] : [])];
  for (const name of names) {
    const handle = await fs.open(join(dir, name), 'read');
    total += await handle.size();
    await handle.close();
  }
  return total;
}
