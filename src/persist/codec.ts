// The binary encoding of everything Shoal writes to disk: log entries and snapshot records, one
// codec for both. Generic over effects: an effect is its op code and its arguments, each a tagged
// string or number, so every type registered in the engine persists without code here.
//
// Format version 1. Every tag below is written to disk: append-only, never renumber or reuse one
// (test/persist/golden.test.ts fails if bytes written today would decode differently).
//
//   record payload   = kind:u8 body
//   kind 1 Entry     = sequence:varint timeMs:f64 effectCount:varint effect*
//   kind 2 Header    = sequence:varint timeMs:f64 databaseCount:varint  (snapshot: covers log <= sequence)
//   kind 3 Keys      = keyCount:varint (effectCount:varint effect*)*   (snapshot: keys, each rebuilt by its effects)
//   kind 4 Trailer   = keyCount:varint recordCount:varint fileCrc:u32   (snapshot: CRC32C of all bytes before this frame)
//   kind 5 Batch     = firstSequence:varint entryCount:varint bytes:varint  (log: one write; `bytes` of entries follow)
//   effect           = op:varint argumentCount:varint argument*
//   argument         = 1 String  length:varint latin1-bytes
//                    | 2 Integer zigzag:varint          (integers of magnitude < 2^52, except -0)
//                    | 3 Float   f64 little-endian       (any other number, ±Infinity, -0)
//   varint           = unsigned LEB128, at most 2^53 - 1
//
// Framing (framing.ts) wraps each payload as [u32 length][u32 CRC32C(payload)][payload].

import { type Effect, type LogEntry, Op } from '../engine/effects.js';
import { arenaLength, type StringArena } from '../engine/string-arena.js';
import type { StringValue } from '../engine/values.js';

export const FORMAT_VERSION = 1;

export const RecordKind = {
  Entry: 1,
  Header: 2,
  Keys: 3,
  Trailer: 4,
  Batch: 5,
} as const;

const ArgumentTag = { String: 1, Integer: 2, Float: 3 } as const;
/** Integers up to this magnitude zigzag into a safe varint; larger ones are written as Float (exact). */
const ZIGZAG_MAX = 2 ** 52 - 1;

export class DecodeError extends Error {
  override name = 'DecodeError';
}

/** A growable byte buffer that encoders write into; `take()` hands out what was written. */
export class ByteWriter {
  buffer: Buffer;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  ensure(extraBytes: number): void {
    const needed = this.length + extraBytes;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  u32(value: number): void {
    this.ensure(4);
    this.buffer.writeUInt32LE(value >>> 0, this.length);
    this.length += 4;
  }

  u32At(offset: number, value: number): void {
    this.buffer.writeUInt32LE(value >>> 0, offset);
  }

  f64(value: number): void {
    this.ensure(8);
    this.buffer.writeDoubleLE(value, this.length);
    this.length += 8;
  }

  varint(value: number): void {
    this.ensure(8);
    const buffer = this.buffer;
    let rest = value;
    while (rest >= 0x80) {
      buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    buffer[this.length++] = rest;
  }

  latin1(text: string): void {
    this.varint(text.length);
    this.ensure(text.length);
    this.length += this.buffer.latin1Write(text, this.length);
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  /** The bytes written so far, as a copy; the writer starts empty again (keeping its memory). */
  take(): Buffer {
    const out = Buffer.from(this.buffer.subarray(0, this.length));
    this.length = 0;
    return out;
  }
}

export function writeEffects(out: ByteWriter, effects: readonly Effect[]): void {
  out.varint(effects.length);
  for (const effect of effects) writeEffect(out, effect);
}

function writeEffect(out: ByteWriter, effect: Effect): void {
  out.varint(effect[0]);
  out.varint(effect.length - 1);
  for (let i = 1; i < effect.length; i++) writeArgument(out, effect[i] as string | number);
}

/**
 * The bytes of `writeEffects(out, [[Op.Set, dbIndex, key, value, expireAtMs]])`, without building
 * the arrays: a snapshot writes one of these per string key, and the garbage of a million pairs
 * of arrays made the collector pause the server during every BGSAVE.
 */
export function writeStringKeyEffects(
  out: ByteWriter,
  dbIndex: number,
  key: string,
  value: StringValue,
  expireAtMs: number,
): void {
  beginStringKeyEffects(out, dbIndex, key);
  writeArgument(out, value);
  writeArgument(out, expireAtMs);
}

/** The same bytes for a value held in an arena, copied from there without making a string. */
export function writeArenaStringKeyEffects(
  out: ByteWriter,
  dbIndex: number,
  key: string,
  arena: StringArena,
  handle: number,
  expireAtMs: number,
): void {
  beginStringKeyEffects(out, dbIndex, key);
  const length = arenaLength(handle);
  out.u8(ArgumentTag.String);
  out.varint(length);
  out.ensure(length);
  arena.copyTo(handle, out.buffer, out.length);
  out.length += length;
  writeArgument(out, expireAtMs);
}

function beginStringKeyEffects(out: ByteWriter, dbIndex: number, key: string): void {
  out.varint(1);
  out.varint(Op.Set);
  out.varint(4);
  writeArgument(out, dbIndex);
  writeArgument(out, key);
}

function writeArgument(out: ByteWriter, argument: string | number): void {
  if (typeof argument === 'string') {
    out.u8(ArgumentTag.String);
    out.latin1(argument);
  } else if (
    Number.isInteger(argument) &&
    Math.abs(argument) <= ZIGZAG_MAX &&
    !Object.is(argument, -0)
  ) {
    out.u8(ArgumentTag.Integer);
    out.varint(argument < 0 ? -argument * 2 - 1 : argument * 2);
  } else {
    if (Number.isNaN(argument)) throw new TypeError('NaN is never an effect argument');
    out.u8(ArgumentTag.Float);
    out.f64(argument);
  }
}

export function writeEntryPayload(out: ByteWriter, sequence: number, entry: LogEntry): void {
  out.u8(RecordKind.Entry);
  out.varint(sequence);
  out.f64(entry.timeMs);
  writeEffects(out, entry.effects);
}

/** Reads one payload; every read is bounds-checked and throws DecodeError past the end. */
export class ByteReader {
  offset: number;

  constructor(
    readonly data: Buffer,
    start = 0,
    readonly end = data.length,
  ) {
    this.offset = start;
  }

  get done(): boolean {
    return this.offset >= this.end;
  }

  private need(bytes: number): void {
    if (this.offset + bytes > this.end) throw new DecodeError('record ends early');
  }

  u8(): number {
    this.need(1);
    return this.data[this.offset++] as number;
  }

  u32(): number {
    this.need(4);
    const value = this.data.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  f64(): number {
    this.need(8);
    const value = this.data.readDoubleLE(this.offset);
    this.offset += 8;
    return value;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let shift = 0; shift < 8; shift++) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) throw new DecodeError('varint out of range');
        return value;
      }
      scale *= 0x80;
    }
    throw new DecodeError('varint too long');
  }

  /** Steps over a length-prefixed string without making it (checking a record costs no strings). */
  skipLatin1(): void {
    const length = this.varint();
    this.need(length);
    this.offset += length;
  }

  latin1(): string {
    const length = this.varint();
    this.need(length);
    const text = this.data.latin1Slice(this.offset, this.offset + length);
    this.offset += length;
    return text;
  }
}

export function readEffects(input: ByteReader): Effect[] {
  const count = input.varint();
  const effects = sizedArray<Effect>(count, input);
  for (let i = 0; i < count; i++) effects[i] = readEffect(input);
  return effects;
}

function readEffect(input: ByteReader): Effect {
  const op = input.varint();
  const count = input.varint();
  const effect = sizedArray<string | number>(count + 1, input);
  effect[0] = op;
  for (let i = 1; i <= count; i++) {
    const tag = input.u8();
    if (tag === ArgumentTag.String) effect[i] = input.latin1();
    else if (tag === ArgumentTag.Integer) {
      const zigzag = input.varint();
      effect[i] = zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
    } else if (tag === ArgumentTag.Float) {
      const value = input.f64();
      if (Number.isNaN(value)) throw new DecodeError('NaN argument');
      effect[i] = value;
    } else throw new DecodeError(`unknown argument tag ${tag}`);
  }
  return effect as Effect;
}

/**
 * An array made for `count` elements (filled by index), rather than grown by push, which starts
 * with room for 17: decoding every log entry, Raft entry and snapshot key made that garbage.
 * Room is made for no more elements than bytes are left (each takes at least one), so a count
 * that lies costs nothing before it fails.
 */
function sizedArray<T>(count: number, input: ByteReader): T[] {
  return new Array<T>(Math.min(count, input.end - input.offset));
}

/**
 * Checks an Entry payload exactly as decodeRecord would (same errors) without building it:
 * returns its sequence number. Recovery checks a whole write batch this way before applying any
 * of it, so it never holds a batch's decoded entries in memory.
 */
export function checkEntryPayload(data: Buffer, start: number, end: number): number {
  const input = new ByteReader(data, start, end);
  const kind = input.u8();
  if (kind !== RecordKind.Entry) throw new DecodeError(`not an entry record (kind ${kind})`);
  const sequence = input.varint();
  input.f64();
  skipEffects(input);
  if (!input.done) throw new DecodeError('bytes left over after the record');
  return sequence;
}

/** Checks a snapshot Keys payload as decodeRecord would, without building it: returns its key count. */
export function checkKeysPayload(data: Buffer, start: number, end: number): number {
  const input = new ByteReader(data, start, end);
  const kind = input.u8();
  if (kind !== RecordKind.Keys) throw new DecodeError(`not a keys record (kind ${kind})`);
  const keys = input.varint();
  for (let count = keys; count > 0; count--) skipEffects(input);
  if (!input.done) throw new DecodeError('bytes left over after the record');
  return keys;
}

function skipEffects(input: ByteReader): void {
  for (let effects = input.varint(); effects > 0; effects--) {
    input.varint();
    for (let count = input.varint(); count > 0; count--) {
      const tag = input.u8();
      if (tag === ArgumentTag.String) input.skipLatin1();
      else if (tag === ArgumentTag.Integer) input.varint();
      else if (tag === ArgumentTag.Float) {
        if (Number.isNaN(input.f64())) throw new DecodeError('NaN argument');
      } else throw new DecodeError(`unknown argument tag ${tag}`);
    }
  }
}

/** Decodes a checked Entry payload's effects one at a time; returns its sequence number. */
export function forEachEntryEffect(
  data: Buffer,
  start: number,
  end: number,
  skipUpTo: number,
  visit: (effect: Effect) => void,
): number {
  const input = new ByteReader(data, start, end);
  input.u8();
  const sequence = input.varint();
  if (sequence <= skipUpTo) return sequence;
  input.f64();
  for (let effects = input.varint(); effects > 0; effects--) visit(readEffect(input));
  return sequence;
}

export interface DecodedEntry {
  sequence: number;
  entry: LogEntry;
}

export interface SnapshotHeader {
  sequence: number;
  timeMs: number;
  databaseCount: number;
}

export interface BatchHeader {
  firstSequence: number;
  entryCount: number;
  bytes: number;
}

export interface SnapshotTrailer {
  keyCount: number;
  recordCount: number;
  fileCrc: number;
}

export type DecodedRecord =
  | { kind: typeof RecordKind.Entry; value: DecodedEntry }
  | { kind: typeof RecordKind.Header; value: SnapshotHeader }
  | { kind: typeof RecordKind.Keys; value: Effect[][] }
  | { kind: typeof RecordKind.Trailer; value: SnapshotTrailer }
  | { kind: typeof RecordKind.Batch; value: BatchHeader };

/** Decodes one record payload; throws DecodeError for anything malformed or left over. */
export function decodeRecord(data: Buffer, start = 0, end = data.length): DecodedRecord {
  const input = new ByteReader(data, start, end);
  const kind = input.u8();
  let record: DecodedRecord;
  switch (kind) {
    case RecordKind.Entry: {
      const sequence = input.varint();
      const timeMs = input.f64();
      record = { kind, value: { sequence, entry: { timeMs, effects: readEffects(input) } } };
      break;
    }
    case RecordKind.Header:
      record = {
        kind,
        value: { sequence: input.varint(), timeMs: input.f64(), databaseCount: input.varint() },
      };
      break;
    case RecordKind.Keys: {
      const keys: Effect[][] = [];
      for (let count = input.varint(); count > 0; count--) keys.push(readEffects(input));
      record = { kind, value: keys };
      break;
    }
    case RecordKind.Trailer:
      record = {
        kind,
        value: { keyCount: input.varint(), recordCount: input.varint(), fileCrc: input.u32() },
      };
      break;
    case RecordKind.Batch:
      record = {
        kind,
        value: { firstSequence: input.varint(), entryCount: input.varint(), bytes: input.varint() },
      };
      break;
    default:
      throw new DecodeError(`unknown record kind ${kind}`);
  }
  if (!input.done) throw new DecodeError('bytes left over after the record');
  return record;
}
