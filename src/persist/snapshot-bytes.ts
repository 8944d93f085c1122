// A snapshot as bytes (a Raft snapshot received from the leader, or its file): verified
// completely (file header, every frame's CRC, the trailer's file CRC and record count, nothing
// after the trailer), and loaded into an engine while it is verified, at once or in steps, from
// memory or from a file a window at a time. The format is the one snapshot.ts writes;
// recovery.ts reads the same format from a file handle.

import { type Effect, isSettingEffect, Op } from '../engine/effects.js';
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

/** Bytes to read a snapshot from: a Buffer in memory, or a file read a window at a time. */
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
 * The frames of a source in order, each checked (length, CRC) as it is read; only a window of
 * the source is held, so a file is never read whole.
 */
export class FrameCursor {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly source: ByteSource,
    /** Where the next frame starts. */
    public at: number,
  ) {}

  get done(): boolean {
    return this.at >= this.source.length;
  }

  /** The next frame's header and payload (views of the window), and where it starts. */
  next(): { header: Buffer; payload: Buffer; start: number } {
    const start = this.at;
    if (start + FRAME_HEADER_BYTES > this.source.length)
      throw new DecodeError(`frame header cut short at offset ${start}`);
    const header = this.bytes(start, FRAME_HEADER_BYTES);
    const length = header.readUInt32LE(0);
    if (length === 0 || start + FRAME_HEADER_BYTES + length > this.source.length)
      throw new DecodeError(`frame at offset ${start} runs past the end`);
    const payload = this.bytes(start + FRAME_HEADER_BYTES, length);
    if (crc32c(payload, 0, length) !== header.readUInt32LE(4))
      throw new DecodeError(`checksum mismatch in the frame at offset ${start}`);
    this.at = start + FRAME_HEADER_BYTES + length;
    return { header, payload, start };
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

/**
 * Reads a snapshot's frames in order and verifies everything about it: the file header, every
 * frame's length and CRC, a header record first, the trailer's file CRC and record count, nothing
 * after the trailer. Given an engine, it also applies each Keys record as it goes, so a file is
 * verified and loaded in one read; without one it only checks them (nothing is built). `step`
 * can stop after any frame, so a caller can spread a large snapshot over event-loop turns.
 */
export class SnapshotReader {
  private readonly cursor: FrameCursor;
  private fileCrc: number;
  private records = 0;
  private check: SnapshotBytesCheck | undefined;
  /** Undefined until the trailer is read; then '' if it matches, else what is wrong. */
  private trailer: string | undefined;
  private problem: string | undefined;

  constructor(
    source: ByteSource,
    private readonly start: number,
    private readonly engine?: Engine,
  ) {
    const fileHeader = source.read(start, start + FILE_HEADER_BYTES);
    this.problem = checkFileHeader(fileHeader, SNAPSHOT_MAGIC);
    this.fileCrc = crc32c(fileHeader, 0, FILE_HEADER_BYTES);
    this.cursor = new FrameCursor(source, start + FILE_HEADER_BYTES);
  }

  /** The header record (sequence, databases) once read; its keyCount is the trailer's, once read. */
  get header(): SnapshotBytesCheck | undefined {
    return this.check;
  }

  /**
   * Reads frames until `enough()` says so (asked after each frame) or the snapshot ends or
   * proves damaged: true once it is done either way (then see `result`).
   */
  step(enough: () => boolean): boolean {
    if (this.problem !== undefined) return true;
    const cursor = this.cursor;
    try {
      while (!cursor.done) {
        this.readFrame();
        if (enough()) return cursor.done;
      }
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.problem = error.message;
    }
    return true;
  }

  /** Once `step` returned true: the snapshot's figures, or a string saying what is wrong. */
  get result(): SnapshotBytesCheck | string {
    if (this.problem !== undefined) return this.problem;
    if (this.trailer === undefined) return 'no trailer (the snapshot is incomplete)';
    if (this.trailer !== '') return this.trailer;
    if (this.check === undefined) return 'no snapshot header';
    return this.check;
  }

  private readFrame(): void {
    const { header, payload, start: frameStart } = this.cursor.next();
    if (this.trailer !== undefined)
      throw new DecodeError(`data after the trailer at offset ${frameStart - this.start}`);
    if (this.records > 0 && payload[0] === RecordKind.Keys) {
      if (this.engine === undefined) checkKeysPayload(payload, 0, payload.length);
      else {
        const record = decodeRecord(payload, 0, payload.length);
        if (record.kind === RecordKind.Keys) applySnapshotKeys(this.engine, record.value);
      }
    } else {
      const record = decodeRecord(payload, 0, payload.length);
      if (this.records === 0) {
        if (record.kind !== RecordKind.Header) throw new DecodeError('no snapshot header');
        this.check = { ...record.value, keyCount: 0 };
      } else if (record.kind === RecordKind.Trailer) {
        if (record.value.fileCrc !== this.fileCrc) this.trailer = 'file checksum mismatch';
        else if (record.value.recordCount !== this.records) this.trailer = 'record count mismatch';
        else this.trailer = '';
        if (this.check !== undefined) this.check.keyCount = record.value.keyCount;
        return;
      } else throw new DecodeError(`unexpected record kind ${record.kind}`);
    }
    this.records++;
    this.fileCrc = crc32c(
      payload,
      0,
      payload.length,
      crc32c(header, 0, FRAME_HEADER_BYTES, this.fileCrc),
    );
  }
}

/** Verifies the snapshot in `source` from `start` (a file is read a window at a time); a string
 * says what is wrong. */
export function verifySnapshotSource(source: ByteSource, start = 0): SnapshotBytesCheck | string {
  const reader = new SnapshotReader(source, start);
  reader.step(() => false);
  return reader.result;
}

/** Applies a snapshot's Keys record: each key's effects (a file or received bytes alike). */
export function applySnapshotKeys(engine: Engine, keys: readonly (readonly Effect[])[]): void {
  for (const effects of keys) {
    const first = effects[0];
    if (first === undefined) continue;
    if (isSettingEffect(first)) {
      engine.applyEffect(first);
      continue;
    }
    // A key written twice (iterator, then copy-on-write) is rebuilt from its last copy. A lone
    // Set replaces any earlier copy by itself (value and expiry): no delete, one lookup less.
    if (effects.length > 1 || first[0] !== Op.Set)
      engine.delete(first[1] as number, first[2] as string);
    for (const effect of effects) engine.applyEffect(effect);
  }
}

/** Verifies and loads a snapshot held in memory into `engine` (emptied), all at once. */
export function loadSnapshotBytes(data: Buffer, start: number, engine: Engine): void {
  const reader = new SnapshotReader(bufferSource(data), start, engine);
  reader.step(() => false);
  const result = reader.result;
  if (typeof result === 'string') throw new DecodeError(`damaged snapshot (${result})`);
}
