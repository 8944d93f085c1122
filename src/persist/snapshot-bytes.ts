// A snapshot as bytes (a Raft snapshot received from the leader, or its file): verified
// completely when held in memory (file header, every frame's CRC, the trailer's file CRC and
// record count, nothing after the trailer), and loaded into an engine, at once or in steps, from
// memory or from a file a window at a time. The format is the one snapshot.ts writes;
// recovery.ts reads the same format from a file handle.

import type { Effect } from '../engine/effects.js';
import type { Engine } from '../engine/engine.js';
import { checkKeysPayload, decodeRecord, DecodeError, RecordKind } from './codec.js';
import { crc32c } from './crc32c.js';
import {
  checkFileHeader,
  FILE_HEADER_BYTES,
  FRAME_HEADER_BYTES,
  SNAPSHOT_MAGIC,
} from './framing.js';

export interface SnapshotBytesCheck {
  sequence: number;
  databaseCount: number;
  keyCount: number;
}

/** The end of the payload of the frame at `at` (checked: length and CRC); throws DecodeError. */
function frameEnd(data: Buffer, at: number): number {
  if (at + FRAME_HEADER_BYTES > data.length)
    throw new DecodeError(`frame header cut short at offset ${at}`);
  const length = data.readUInt32LE(at);
  const payloadStart = at + FRAME_HEADER_BYTES;
  const payloadEnd = payloadStart + length;
  if (length === 0 || payloadEnd > data.length)
    throw new DecodeError(`frame at offset ${at} runs past the end`);
  if (crc32c(data, payloadStart, payloadEnd) !== data.readUInt32LE(at + 4))
    throw new DecodeError(`checksum mismatch in the frame at offset ${at}`);
  return payloadEnd;
}

/** Calls `each(payloadStart, payloadEnd, frameStart)` per frame; throws DecodeError on damage. */
function forEachFrame(
  data: Buffer,
  start: number,
  each: (payloadStart: number, payloadEnd: number, frameStart: number) => void,
): void {
  for (let at = start; at < data.length;) {
    const payloadEnd = frameEnd(data, at);
    each(at + FRAME_HEADER_BYTES, payloadEnd, at);
    at = payloadEnd;
  }
}

/** Verifies the snapshot in `data` from `start`; a string says what is wrong. */
export function verifySnapshotBytes(data: Buffer, start = 0): SnapshotBytesCheck | string {
  const headerProblem = checkFileHeader(
    data.subarray(start, start + FILE_HEADER_BYTES),
    SNAPSHOT_MAGIC,
  );
  if (headerProblem !== undefined) return headerProblem;
  let fileCrc = crc32c(data, start, start + FILE_HEADER_BYTES);
  let records = 0;
  let check: SnapshotBytesCheck | undefined;
  let trailer: string | undefined;
  try {
    forEachFrame(data, start + FILE_HEADER_BYTES, (payloadStart, payloadEnd, frameStart) => {
      if (trailer !== undefined)
        throw new DecodeError(`data after the trailer at offset ${frameStart - start}`);
      if (records > 0 && data[payloadStart] === RecordKind.Keys) {
        checkKeysPayload(data, payloadStart, payloadEnd);
      } else {
        const record = decodeRecord(data, payloadStart, payloadEnd);
        if (records === 0) {
          if (record.kind !== RecordKind.Header) throw new DecodeError('no snapshot header');
          check = { ...record.value, keyCount: 0 };
        } else if (record.kind === RecordKind.Trailer) {
          if (record.value.fileCrc !== fileCrc) trailer = 'file checksum mismatch';
          else if (record.value.recordCount !== records) trailer = 'record count mismatch';
          else trailer = '';
          if (check !== undefined) check.keyCount = record.value.keyCount;
          return;
        } else throw new DecodeError(`unexpected record kind ${record.kind}`);
      }
      records++;
      fileCrc = crc32c(data, frameStart, payloadEnd, fileCrc);
    });
  } catch (error) {
    if (error instanceof DecodeError) return error.message;
    throw error;
  }
  if (trailer === undefined) return 'no trailer (the snapshot is incomplete)';
  if (trailer !== '') return trailer;
  if (check === undefined) return 'no snapshot header';
  return check;
}

/** Applies a snapshot's Keys record: each key's effects (a file or received bytes alike). */
export function applySnapshotKeys(engine: Engine, keys: readonly (readonly Effect[])[]): void {
  for (const effects of keys) {
    const first = effects[0];
    if (first === undefined) continue;
    // A key written twice (iterator, then copy-on-write) is rebuilt from its last copy.
    engine.delete(first[1] as number, first[2] as string);
    for (const effect of effects) engine.applyEffect(effect);
  }
}

/** Bytes to load from: a Buffer in memory, or a file read a window at a time. */
export interface ByteSource {
  readonly length: number;
  /** Bytes [start, end), or fewer if the source ends first. */
  read(start: number, end: number): Buffer;
}

export function bufferSource(data: Buffer): ByteSource {
  return { length: data.length, read: (start, end) => data.subarray(start, end) };
}

/** A file is read in windows of this many bytes (a frame longer than that, in one read). */
const WINDOW_BYTES = 1024 * 1024;

/**
 * Applies the keys of a snapshot to `engine` (which the caller emptied), a frame at a time:
 * `step` goes on until `enough()` says so (asked after each frame) or the snapshot ends, so a
 * caller can spread a large snapshot over turns of the event loop. Every frame's length and
 * CRC are checked again as it is read (a file may have changed since it was verified), and
 * only a window of the source is held, so a file is never read whole.
 */
export class SnapshotBytesLoader {
  private at: number;
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly source: ByteSource,
    start: number,
    private readonly engine: Engine,
  ) {
    this.at = start + FILE_HEADER_BYTES;
  }

  /** True once every frame is applied. */
  step(enough: () => boolean): boolean {
    const { source, engine } = this;
    while (this.at < source.length) {
      const header = this.bytes(this.at, FRAME_HEADER_BYTES);
      const length = header.readUInt32LE(0);
      const checksum = header.readUInt32LE(4);
      if (length === 0) throw new DecodeError(`empty frame at offset ${this.at}`);
      const payload = this.bytes(this.at + FRAME_HEADER_BYTES, length);
      if (crc32c(payload, 0, length) !== checksum)
        throw new DecodeError(`checksum mismatch in the frame at offset ${this.at}`);
      this.at += FRAME_HEADER_BYTES + length;
      if (payload[0] === RecordKind.Keys) {
        const record = decodeRecord(payload, 0, length);
        if (record.kind === RecordKind.Keys) applySnapshotKeys(engine, record.value);
      }
      if (enough()) break;
    }
    return this.at >= source.length;
  }

  /** `length` bytes at `at`: from the window held, or a new window read from `at`. */
  private bytes(at: number, length: number): Buffer {
    const end = at + length;
    if (at < this.windowStart || end > this.windowStart + this.window.length) {
      const windowEnd = Math.min(this.source.length, Math.max(end, at + WINDOW_BYTES));
      this.window = this.source.read(at, windowEnd);
      this.windowStart = at;
      if (this.window.length < length)
        throw new DecodeError(`frame at offset ${at} runs past the end`);
    }
    return this.window.subarray(at - this.windowStart, end - this.windowStart);
  }
}

/** The same, all at once: blocking for the whole snapshot. */
export function loadSnapshotBytes(data: Buffer, start: number, engine: Engine): void {
  new SnapshotBytesLoader(bufferSource(data), start, engine).step(() => false);
}
